#pragma once
// Which voxels a sensor observes: a voxel is observed when a straight line
// from the sensor reaches it through free voxels only (the voxel itself may
// be occupied), the ray-casting rule of Occ3D's visibility masks (Tian et
// al., "Occ3D", NeurIPS 2023, Sec. 3.2). The line tried for a free voxel
// ends at its centre; for an occupied voxel (a surface) also at the centres
// of its three faces turned towards the sensor: a road voxel is seen through
// its top face even where the line to its centre would graze the
// neighbouring road voxels first.
#include <cstdint>
#include <functional>
#include <vector>

#include "geom/free_space.h"
#include "geom/vec3.h"
#include "geom/voxel_grid.h"

namespace occ::geom {

// Sets mask[v] = 1 for every voxel whose centre `in_view` accepts and that is
// seen from `origin`; `occupied` holds one byte per voxel (non-zero =
// occupied). Voxels are processed in parallel.
void mark_visible_voxels(const VoxelGrid& grid, const std::vector<uint8_t>& occupied, const Vec3& origin,
                         const std::function<bool(const Vec3& centre)>& in_view, std::vector<uint8_t>& mask);
// The same with the free-space distances computed once for several sensors.
void mark_visible_voxels(const FreeSpace& free_space, const std::vector<uint8_t>& occupied,
                         const Vec3& origin, const std::function<bool(const Vec3& centre)>& in_view,
                         std::vector<uint8_t>& mask);

// True when the segment from `origin` to `point` (inside `target`) crosses
// only free voxels before entering `target`.
bool line_of_sight(const VoxelGrid& grid, const std::vector<uint8_t>& occupied, const Vec3& origin,
                   const VoxelIndex& target, const Vec3& point);
// The points of `target` whose lines of sight decide whether it is seen from
// `origin`: its centre, then, when it is occupied, its face centres turned
// towards `origin` (a hair inside the voxel).
struct VisibilityProbes {
  Vec3 points[4];
  int count = 0;
};
VisibilityProbes visibility_probes(const VoxelGrid& grid, const VoxelIndex& target, const Vec3& origin,
                                   bool target_occupied);
// True when some probe of `target` is in sight from `origin`.
bool voxel_in_sight(const VoxelGrid& grid, const std::vector<uint8_t>& occupied, const Vec3& origin,
                    const VoxelIndex& target);

}  // namespace occ::geom
