#pragma once
// `occ prep merge`: joins frames files written part by part (`occ prep
// nuscenes --shard I/N`) into one, by copying: every dataset is concatenated
// along its first axis, scene indices, prev/next rows and the LiDAR and box
// offsets are shifted by the rows before them, instance ids by the largest
// id before them. Parts must agree on the
// schema version, dataset, grid, classes, cameras, image size and dataroot
// and hold the same datasets; otherwise it is an error naming both files.
#include <cstdint>
#include <string>
#include <vector>

namespace occ::datasets {

struct MergeOptions {
  std::vector<std::string> inputs;  // parts, in the order their rows are joined
  std::string output;
  std::string compression = "deflate";

  void validate() const;  // throws UsageError
};

// Returns the number of frames written.
int64_t merge_frames(const MergeOptions& options);

}  // namespace occ::datasets
