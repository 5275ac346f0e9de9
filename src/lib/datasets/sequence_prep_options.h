#pragma once
// Options shared by the readers of KITTI-style sequence folders
// (`occ prep kitti-mot`, `occ prep semantickitti`).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace occ::datasets {

struct SequencePrepOptions {
  std::string dataroot;                // the dataset folder (each reader documents its layout)
  std::string output;                  // frames file to write
  std::vector<std::string> sequences;  // "0001", "08", ...; empty: every sequence found
  std::string compression = "deflate";
  bool embed_images = false;            // store resized RGB instead of paths
  std::string image_size = "370x1220";  // HxW of embedded images (MonoScene's KITTI input size)
  // Keep the Velodyne points of every frame when the dataset has them (a
  // velodyne folder for every sequence read); false: never.
  bool lidar = true;

  void validate() const;  // throws UsageError naming the option
  nlohmann::json to_json() const;
};

// Whether a KITTI-style reader keeps the Velodyne points: `options.lidar`
// and a velodyne folder for every sequence (folders[i] of sequences[i]).
// Throws FormatError naming the first sequence without one when only some
// have them (--no-lidar leaves points out).
bool keep_velodyne_points(const SequencePrepOptions& options, const std::vector<std::string>& sequences,
                          const std::vector<std::string>& folders);

}  // namespace occ::datasets
