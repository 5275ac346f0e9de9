#pragma once
// Fast exact line-of-sight queries through an occupancy grid by empty-space
// skipping: every free voxel knows its Chebyshev distance d to the nearest
// occupied voxel (capped), so the (2d-1)^3 cube around it is free and a line
// can jump across that cube in one step instead of voxel by voxel. This is
// the distance-field acceleration of ray marching (Cohen & Sheffer,
// "Proximity clouds", The Visual Computer 1994) on a voxel grid.
#include <cstdint>
#include <vector>

#include "geom/vec3.h"
#include "geom/voxel_grid.h"

namespace occ::geom {

class FreeSpace {
 public:
  // `occupied`: one byte per voxel of `grid` (non-zero = occupied).
  FreeSpace(const VoxelGrid& grid, const std::vector<uint8_t>& occupied);

  const VoxelGrid& grid() const { return grid_; }
  // Chebyshev distance (in voxels, at most kMaxDistance) to the nearest
  // occupied voxel; 0 for occupied voxels.
  uint8_t distance(const VoxelIndex& v) const { return distance_[static_cast<size_t>(grid_.linear(v))]; }
  // The same answer as line_of_sight() in geom/visibility.h: the segment
  // from `origin` to `point` (inside `target`) crosses only free voxels
  // before it enters `target`.
  bool clear_line(const Vec3& origin, const VoxelIndex& target, const Vec3& point) const;

  static constexpr uint8_t kMaxDistance = 8;

 private:
  VoxelGrid grid_;
  std::vector<uint8_t> distance_;
};

}  // namespace occ::geom
