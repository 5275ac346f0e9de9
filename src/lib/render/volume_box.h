#pragma once
// The axis-aligned box of a field volume sampled on a vertex grid: vertex
// (i, j, k) of a [B, C, X, Y, Z] volume sits at
//   origin_m + (i, j, k) * voxel_size_m   (metres, ego frame),
// so the box spans origin_m .. origin_m + (vertex_shape - 1) * voxel_size_m.
// Let Occ Flow resamples its decoder volume onto such a grid with
// align_corners=True (nuScenes 100x100x10 cells -> 201x201x21 vertices at half
// the cell size; ../shared/reference/letoccflow.md, "Fields and rendering").
#include <array>
#include <cstdint>

namespace occ::render {

struct VolumeBox {
  std::array<double, 3> origin_m{0.0, 0.0, 0.0};      // vertex (0, 0, 0) in the ego frame
  std::array<double, 3> voxel_size_m{1.0, 1.0, 1.0};  // vertex spacing along x, y, z
  std::array<int64_t, 3> vertex_shape{2, 2, 2};       // X, Y, Z vertices, each >= 2

  // The box [min_m, max_m] cut into `cells` cells per axis: cells + 1 vertices.
  static VolumeBox from_cells(const std::array<double, 3>& min_m, const std::array<double, 3>& max_m,
                              const std::array<int64_t, 3>& cells) {
    VolumeBox box;
    for (size_t axis = 0; axis < 3; ++axis) {
      box.origin_m[axis] = min_m[axis];
      box.vertex_shape[axis] = cells[axis] + 1;
      box.voxel_size_m[axis] = (max_m[axis] - min_m[axis]) / static_cast<double>(cells[axis]);
    }
    return box;
  }
  double max_m(size_t axis) const {
    return origin_m[axis] + static_cast<double>(vertex_shape[axis] - 1) * voxel_size_m[axis];
  }
};

// Throws UsageError naming `what` unless every axis has >= 2 vertices and a
// positive spacing.
void check_volume_box(const VolumeBox& box, const char* what);

}  // namespace occ::render
