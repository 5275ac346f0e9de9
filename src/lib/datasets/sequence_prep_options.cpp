#include "datasets/sequence_prep_options.h"

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

nlohmann::json SequencePrepOptions::to_json() const {
  return {{"dataroot", dataroot},
          {"sequences", sequences},
          {"compression", compression},
          {"embed_images", embed_images},
          {"image_size", image_size}};
}

}  // namespace occ::datasets
