#include "geom/voxel_grid.h"

#include <algorithm>
#include <utility>

namespace occ::geom {

VoxelGrid VoxelGrid::occ3d_nuscenes() {
  return VoxelGrid{};
}

VoxelGrid VoxelGrid::semantickitti() {
  VoxelGrid grid;
  grid.shape = {256, 256, 32};
  grid.origin_m = {0.0, -25.6, -2.0};
  grid.voxel_size_m = {0.2, 0.2, 0.2};
  grid.num_classes = 20;
  grid.free_class = 0;
  return grid;
}

bool clip_ray_to_grid(const VoxelGrid& grid, const Vec3& origin, const Vec3& direction, double& t_enter,
                      double& t_exit) {
  const Vec3 lower = grid.lower_corner(), upper = grid.upper_corner();
  const double o[3] = {origin.x, origin.y, origin.z};
  const double d[3] = {direction.x, direction.y, direction.z};
  const double lo[3] = {lower.x, lower.y, lower.z};
  const double hi[3] = {upper.x, upper.y, upper.z};
  t_enter = 0;
  t_exit = INFINITY;
  for (int a = 0; a < 3; ++a) {
    if (d[a] == 0) {
      if (o[a] < lo[a] || o[a] >= hi[a]) return false;
      continue;
    }
    double t0 = (lo[a] - o[a]) / d[a], t1 = (hi[a] - o[a]) / d[a];
    if (t0 > t1) std::swap(t0, t1);
    t_enter = std::max(t_enter, t0);
    t_exit = std::min(t_exit, t1);
  }
  return t_enter < t_exit;
}

}  // namespace occ::geom
