#include "render/fields.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "core/strings.h"
#include "nn/shape_text.h"

namespace occ::render {

void check_volume_box(const VolumeBox& box, const char* what) {
  for (size_t axis = 0; axis < 3; ++axis)
    if (box.vertex_shape[axis] < 2 || !(box.voxel_size_m[axis] > 0.0))
      throw UsageError(str(what, ": the volume box needs >= 2 vertices and a positive spacing per axis, got ",
                           box.vertex_shape[axis], " vertices at ", box.voxel_size_m[axis], " m on axis ",
                           axis));
}

namespace {

void check_volume(const at::Tensor& volume, const VolumeBox& box, const char* what) {
  check_volume_box(box, what);
  if (!volume.defined() || volume.dim() != 5 || volume.size(2) != box.vertex_shape[0] ||
      volume.size(3) != box.vertex_shape[1] || volume.size(4) != box.vertex_shape[2])
    throw UsageError(str(what, ": volume must be [B, C, ", box.vertex_shape[0], ", ", box.vertex_shape[1],
                         ", ", box.vertex_shape[2], "] (the box's vertex grid), got ",
                         nn::shape_text(volume)));
}

}  // namespace

at::Tensor sample_volume(const at::Tensor& volume, const VolumeBox& box, const at::Tensor& points_in_ego) {
  check_volume(volume, box, "sample_volume");
  if (!points_in_ego.defined() || points_in_ego.dim() < 2 || points_in_ego.size(-1) != 3 ||
      points_in_ego.size(0) != volume.size(0))
    throw UsageError("sample_volume: points must be [B, ..., 3] with B = " + std::to_string(volume.size(0)) +
                     ", got " + nn::shape_text(points_in_ego));
  const int64_t batch = volume.size(0);
  const auto point_shape = points_in_ego.sizes().slice(1, points_in_ego.dim() - 2);
  const at::Tensor points = points_in_ego.reshape({batch, 1, 1, -1, 3}).to(volume.scalar_type());
  // align_corners=True: -1 and +1 are the first and last vertex. grid_sample's
  // (x, y, z) index the last, middle and first spatial axes: our (z, y, x).
  std::vector<at::Tensor> normalised;
  for (int64_t axis = 2; axis >= 0; --axis) {
    const double extent = static_cast<double>(box.vertex_shape[axis] - 1) * box.voxel_size_m[axis];
    normalised.push_back((points.select(-1, axis) - box.origin_m[axis]) * (2.0 / extent) - 1.0);
  }
  const at::Tensor grid = at::stack(normalised, -1);
  // Modes: 0 = bilinear (trilinear in 3D), 1 = border padding.
  const at::Tensor sampled =
      at::grid_sampler_3d(volume, grid, 0, 1, /*align_corners=*/true);  // [B, C, 1, 1, P]
  std::vector<int64_t> shape{batch};
  shape.insert(shape.end(), point_shape.begin(), point_shape.end());
  shape.push_back(volume.size(1));
  return sampled.flatten(2, 4).transpose(1, 2).reshape(shape);
}

at::Tensor sdf_gradient_volume(const at::Tensor& sdf, const VolumeBox& box) {
  check_volume(sdf, box, "sdf_gradient_volume");
  if (sdf.size(1) != 1)
    throw UsageError("sdf_gradient_volume: sdf must have 1 channel, got " + nn::shape_text(sdf));
  std::vector<at::Tensor> slopes;
  for (int64_t axis = 0; axis < 3; ++axis) {
    const int64_t dim = 2 + axis, size = sdf.size(dim);
    // Replication padding: s[-1] = s[0], s[n] = s[n-1].
    const at::Tensor padded = at::cat({sdf.narrow(dim, 0, 1), sdf, sdf.narrow(dim, size - 1, 1)}, dim);
    slopes.push_back((padded.narrow(dim, 2, size) - padded.narrow(dim, 0, size)) *
                     (0.5 / box.voxel_size_m[static_cast<size_t>(axis)]));
  }
  return at::cat(slopes, 1);
}

at::Tensor shifted_grid_points(const VolumeBox& box, at::Generator generator,
                               const at::TensorOptions& options) {
  check_volume_box(box, "shifted_grid_points");
  std::vector<at::Tensor> axes;
  for (size_t axis = 0; axis < 3; ++axis)
    axes.push_back(at::arange(box.vertex_shape[axis], options) * box.voxel_size_m[axis] + box.origin_m[axis]);
  const auto mesh = at::meshgrid({axes[0], axes[1], axes[2]}, "ij");
  const at::Tensor points = at::stack({mesh[0], mesh[1], mesh[2]}, -1).reshape({1, -1, 3});
  const at::Tensor spacing =
      at::tensor(std::vector<double>(box.voxel_size_m.begin(), box.voxel_size_m.end()), at::kDouble)
          .to(options);
  return points + at::rand(points.sizes(), generator, at::kDouble).to(options) * spacing;
}

}  // namespace occ::render
