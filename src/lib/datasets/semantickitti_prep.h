#pragma once
// `occ prep semantickitti`: SemanticKITTI scene completion sequences into a
// frames file. One row per scan with voxel files (every 5th scan), linked in
// scan order; the Velodyne frame is the ego frame and the Velodyne of scan 0
// the world; /occupancy/semantics holds the learning classes of the .label
// voxels (255 where the benchmark ignores a voxel) and mask_lidar the voxels
// that are not .invalid. SemanticKITTI has no camera visibility mask.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace occ::datasets {

struct SemanticKittiPrepOptions {
  std::string dataroot;                // holds sequences/<seq>/
  std::string output;                  // frames file to write
  std::vector<std::string> sequences;  // "08", ...; empty: every sequence with voxels/
  std::string compression = "deflate";

  void validate() const;  // throws UsageError naming the option
  nlohmann::json to_json() const;
};

struct SemanticKittiPrepReport {
  int64_t frames = 0;
  int64_t sequences = 0;
  double seconds = 0;
};

SemanticKittiPrepReport prep_semantickitti(const SemanticKittiPrepOptions& options);

}  // namespace occ::datasets
