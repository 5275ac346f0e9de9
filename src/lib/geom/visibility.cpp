#include "geom/visibility.h"

#include "core/threads.h"

namespace occ::geom {

bool line_of_sight(const VoxelGrid& grid, const std::vector<uint8_t>& occupied, const Vec3& origin,
                   const VoxelIndex& target) {
  const Vec3 centre = grid.centre(target.x, target.y, target.z);
  const Vec3 delta = centre - origin;
  const double distance = delta.norm();
  if (distance <= 0) return true;
  const Vec3 direction = delta * (1.0 / distance);
  const int64_t target_index = grid.linear(target);
  bool clear = true;
  traverse_voxels(grid, origin, direction, distance, [&](const VoxelIndex& voxel, double, double) {
    const int64_t index = grid.linear(voxel);
    if (index == target_index) return false;
    if (occupied[static_cast<size_t>(index)]) {
      clear = false;
      return false;
    }
    return true;
  });
  return clear;
}

void mark_visible_voxels(const VoxelGrid& grid, const std::vector<uint8_t>& occupied, const Vec3& origin,
                         const std::function<bool(const Vec3& centre)>& in_view, std::vector<uint8_t>& mask) {
  parallel_for(grid.shape[0], [&](int64_t x) {
    for (int y = 0; y < grid.shape[1]; ++y) {
      for (int z = 0; z < grid.shape[2]; ++z) {
        const auto index = static_cast<size_t>(grid.linear(int(x), y, z));
        if (mask[index] || !in_view(grid.centre(int(x), y, z))) continue;
        if (line_of_sight(grid, occupied, origin, {int(x), y, z})) mask[index] = 1;
      }
    }
  });
}

}  // namespace occ::geom
