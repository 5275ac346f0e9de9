#pragma once
// Which voxels a sensor observes: a voxel is observed when the straight line
// from the sensor to its centre crosses only free voxels before reaching it
// (the voxel itself may be occupied), the ray-casting rule of Occ3D's
// visibility masks (Tian et al., "Occ3D", NeurIPS 2023, Sec. 3.2).
#include <cstdint>
#include <functional>
#include <vector>

#include "geom/vec3.h"
#include "geom/voxel_grid.h"

namespace occ::geom {

// Sets mask[v] = 1 for every voxel whose centre `in_view` accepts and that is
// seen from `origin`; `occupied` holds one byte per voxel (non-zero =
// occupied). Voxels are processed in parallel.
void mark_visible_voxels(const VoxelGrid& grid, const std::vector<uint8_t>& occupied, const Vec3& origin,
                         const std::function<bool(const Vec3& centre)>& in_view, std::vector<uint8_t>& mask);

// True when the segment from `origin` to the centre of `target` crosses only
// free voxels before entering `target`.
bool line_of_sight(const VoxelGrid& grid, const std::vector<uint8_t>& occupied, const Vec3& origin,
                   const VoxelIndex& target);

}  // namespace occ::geom
