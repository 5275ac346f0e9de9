#include "geom/visibility.h"

#include <cmath>

#include "core/threads.h"

namespace occ::geom {

bool line_of_sight(const VoxelGrid& grid, const std::vector<uint8_t>& occupied, const Vec3& origin,
                   const VoxelIndex& target, const Vec3& point) {
  const Vec3 delta = point - origin;
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

namespace {

// A line entering a voxel comes through one of its faces turned towards the
// sensor, from the face neighbour there: when all those neighbours are
// occupied (inside a building, say) no line reaches the voxel.
bool enclosed(const VoxelGrid& grid, const std::vector<uint8_t>& occupied, const Vec3& origin,
              const VoxelIndex& target) {
  const Vec3 centre = grid.centre(target.x, target.y, target.z);
  const double to_origin[3] = {origin.x - centre.x, origin.y - centre.y, origin.z - centre.z};
  for (int a = 0; a < 3; ++a) {
    if (std::abs(to_origin[a]) <= 0.5 * grid.voxel_size_m[static_cast<size_t>(a)]) return false;
    VoxelIndex neighbour = target;
    int& coordinate = a == 0 ? neighbour.x : a == 1 ? neighbour.y : neighbour.z;
    coordinate += to_origin[a] > 0 ? 1 : -1;
    if (!grid.contains(neighbour) || !occupied[static_cast<size_t>(grid.linear(neighbour))]) return false;
  }
  return true;
}

}  // namespace

VisibilityProbes visibility_probes(const VoxelGrid& grid, const VoxelIndex& target, const Vec3& origin,
                                   bool target_occupied) {
  const Vec3 centre = grid.centre(target.x, target.y, target.z);
  VisibilityProbes probes;
  probes.points[probes.count++] = centre;
  if (!target_occupied) return probes;
  const double to_origin[3] = {origin.x - centre.x, origin.y - centre.y, origin.z - centre.z};
  for (int a = 0; a < 3; ++a) {
    if (to_origin[a] == 0) continue;
    // 0.499 of the voxel: on the face, but still inside this voxel.
    const double offset = (to_origin[a] > 0 ? 0.499 : -0.499) * grid.voxel_size_m[static_cast<size_t>(a)];
    probes.points[probes.count++] =
        centre + Vec3{a == 0 ? offset : 0, a == 1 ? offset : 0, a == 2 ? offset : 0};
  }
  return probes;
}

bool voxel_in_sight(const VoxelGrid& grid, const std::vector<uint8_t>& occupied, const Vec3& origin,
                    const VoxelIndex& target) {
  const bool target_occupied = occupied[static_cast<size_t>(grid.linear(target))] != 0;
  const VisibilityProbes probes = visibility_probes(grid, target, origin, target_occupied);
  for (int i = 0; i < probes.count; ++i) {
    if (line_of_sight(grid, occupied, origin, target, probes.points[i])) return true;
  }
  return false;
}

void mark_visible_voxels(const VoxelGrid& grid, const std::vector<uint8_t>& occupied, const Vec3& origin,
                         const std::function<bool(const Vec3& centre)>& in_view, std::vector<uint8_t>& mask) {
  mark_visible_voxels(FreeSpace(grid, occupied), occupied, origin, in_view, mask);
}

void mark_visible_voxels(const FreeSpace& free_space, const std::vector<uint8_t>& occupied,
                         const Vec3& origin, const std::function<bool(const Vec3& centre)>& in_view,
                         std::vector<uint8_t>& mask) {
  const VoxelGrid& grid = free_space.grid();
  parallel_for(grid.shape[0], [&](int64_t x) {
    for (int y = 0; y < grid.shape[1]; ++y) {
      for (int z = 0; z < grid.shape[2]; ++z) {
        const auto index = static_cast<size_t>(grid.linear(int(x), y, z));
        if (mask[index] || !in_view(grid.centre(int(x), y, z))) continue;
        const VoxelIndex target{int(x), y, z};
        if (enclosed(grid, occupied, origin, target)) continue;
        const VisibilityProbes probes = visibility_probes(grid, target, origin, occupied[index] != 0);
        for (int i = 0; i < probes.count; ++i) {
          if (free_space.clear_line(origin, target, probes.points[i])) {
            mask[index] = 1;
            break;
          }
        }
      }
    }
  });
}

}  // namespace occ::geom
