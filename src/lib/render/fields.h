#pragma once
// Reading field volumes on their vertex grid (volume_box.h) at points in the
// ego frame, and the SDF gradient of the grid (Let Occ Flow: trilinear,
// align_corners=True, border padding; ../shared/reference/letoccflow.md).
#include <ATen/ATen.h>

#include "render/volume_box.h"

namespace occ::render {

// volume [B, C, X, Y, Z], points_in_ego [B, ..., 3] -> [B, ..., C]: trilinear
// with the coordinates clamped to the box (border padding); differentiable with
// respect to the volume (and the points).
at::Tensor sample_volume(const at::Tensor& volume, const VolumeBox& box, const at::Tensor& points_in_ego);

// sdf [B, 1, X, Y, Z] -> [B, 3, X, Y, Z]: d sdf / d(x, y, z) in 1/metre by
// central differences, (s[i+1] - s[i-1]) / (2 h), on the grid padded by
// replication, so a border vertex sees half the slope of a linear field
// (the reference's choice; the grid regularisers skip that layer).
at::Tensor sdf_gradient_volume(const at::Tensor& sdf, const VolumeBox& box);

// Points of the vertex grid moved by one uniform random shift in
// [0, voxel_size) per axis, [1, X*Y*Z, 3] (the sparsity term's "shifted
// uniform grid"; SelfOcc get_uniform_sdf(shift=True) draws a shift per point:
// so do we).
at::Tensor shifted_grid_points(const VolumeBox& box, at::Generator generator,
                               const at::TensorOptions& options);

}  // namespace occ::render
