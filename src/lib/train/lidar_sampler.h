#pragma once
// LiDAR points of a frame for models that render LiDAR rays
// (Batch::lidar_points): a fixed number drawn per frame so that batches
// stack, the draw a pure function of a key the loader derives from (seed,
// epoch, position), so a resumed run draws the same points.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "datasets/frames_file.h"

namespace occ::train {

struct LidarDraw {
  at::Tensor points;  // [P, 3] float32, ego frame
  at::Tensor valid;   // [P] bool; false everywhere when the frame has no points
  at::Tensor origin;  // [3] float32, the sensor origin in the ego frame (/lidar/origin)
};

class LidarSampler {
 public:
  // Reads /lidar/offsets (one integer per frame) and /lidar/origin (one
  // sensor origin per frame: the rays start there); FormatError naming the
  // file when it has no LiDAR points or origins, or the offsets do not fit
  // /lidar/points.
  explicit LidarSampler(const FramesFile& frames);

  // `count` points of frame `row`: without replacement when the frame has at
  // least that many (a partial Fisher-Yates shuffle keyed by `key`), else
  // every point followed by repeats drawn with replacement.
  LidarDraw draw(int64_t row, int count, uint64_t key) const;

 private:
  const FramesFile& frames_;
  std::vector<int64_t> offsets_;
  std::vector<double> origins_;  // x, y, z per frame
};

}  // namespace occ::train
