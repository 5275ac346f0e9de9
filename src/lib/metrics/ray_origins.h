#pragma once
// Where RayIoU's rays start: SparseOcc's EgoPoseDataset
// (MCG-NJU/SparseOcc loaders/ego_pose_dataset.py).
#include <array>
#include <cstdint>
#include <vector>

#include "geom/rigid.h"
#include "metrics/ray_cast.h"

namespace occ::metrics {

using Mat4 = geom::Matrix4;

struct FramePose {
  int32_t scene = 0;
  int64_t timestamp_us = 0;
  bool keyframe = true;
  Mat4 world_from_ego{};
  Vec3 lidar_origin_in_ego{};
};

struct OriginOptions {
  double range_m = 39.0;  // keep origins with |x| < range and |y| < range (ego frame)
  int max_origins = 8;    // more than this: pick round(linspace(0, n - 1, max))
};

// Origins for frame `row`: the LiDAR origin of every keyframe of the same
// scene (past and future, in time order) mapped into this frame's ego frame,
// filtered and thinned as the official code does.
std::vector<Vec3> ray_origins(const std::vector<FramePose>& frames, int64_t row,
                              const OriginOptions& options);

// np.round(np.linspace(0, n - 1, count)).astype(int64) (round half to even).
std::vector<int64_t> linspace_pick(int64_t n, int count);

}  // namespace occ::metrics
