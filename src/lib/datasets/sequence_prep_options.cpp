#include "datasets/sequence_prep_options.h"

#include <filesystem>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/camera_images.h"
#include "h5/dataset.h"

namespace occ::datasets {

void SequencePrepOptions::validate() const {
  if (dataroot.empty()) throw UsageError("--dataroot is required");
  if (output.empty()) throw UsageError("--output is required");
  for (const auto& name : sequences) {
    if (name.empty() || name.find('/') != std::string::npos) {
      throw UsageError(str("--sequences: ", occ::quoted(name), " is not a sequence name"));
    }
  }
  h5::Compression::parse(compression);
  ImageEmbedding::parse(embed_images, image_size);
}

bool keep_velodyne_points(const SequencePrepOptions& options, const std::vector<std::string>& sequences,
                          const std::vector<std::string>& folders) {
  if (!options.lidar || folders.empty()) return false;
  size_t present = 0;
  for (const std::string& folder : folders) present += std::filesystem::is_directory(folder) ? 1 : 0;
  if (present == 0) return false;
  if (present < folders.size()) {
    for (size_t i = 0; i < folders.size(); ++i) {
      if (!std::filesystem::is_directory(folders[i]))
        throw FormatError(str("sequence ", occ::quoted(sequences[i]), " has no Velodyne scans (",
                              occ::quoted(folders[i]),
                              ") while others have: give --no-lidar, or prepare it apart"));
    }
  }
  return true;
}

nlohmann::json SequencePrepOptions::to_json() const {
  return {{"dataroot", dataroot},         {"sequences", sequences},   {"compression", compression},
          {"embed_images", embed_images}, {"image_size", image_size}, {"lidar", lidar}};
}

}  // namespace occ::datasets
