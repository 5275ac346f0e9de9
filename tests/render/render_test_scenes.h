#pragma once
// Hand-made scenes shared by the rendering and loss tests: analytic SDFs on a
// vertex grid and pinhole cameras looking along +x of the ego frame.
#include <ATen/ATen.h>

#include <cmath>

#include "render/volume_box.h"

namespace occ::render::test {

// The ego coordinates of every vertex, [X, Y, Z, 3] (double).
inline at::Tensor vertex_points(const VolumeBox& box) {
  std::vector<at::Tensor> axes;
  for (size_t axis = 0; axis < 3; ++axis)
    axes.push_back(at::arange(box.vertex_shape[axis], at::kDouble) * box.voxel_size_m[axis] +
                   box.origin_m[axis]);
  const auto mesh = at::meshgrid({axes[0], axes[1], axes[2]}, "ij");
  return at::stack({mesh[0], mesh[1], mesh[2]}, -1);
}

// [1, 1, X, Y, Z]: the signed distance to the plane x = x0, positive for x < x0
// (the side the cameras look from).
inline at::Tensor plane_sdf(const VolumeBox& box, double x0, at::ScalarType dtype = at::kFloat) {
  return (x0 - vertex_points(box).select(-1, 0)).unsqueeze(0).unsqueeze(0).to(dtype);
}

// [1, 1, X, Y, Z]: |p - centre| - radius.
inline at::Tensor sphere_sdf(const VolumeBox& box, const std::array<double, 3>& centre, double radius) {
  const at::Tensor offset = vertex_points(box) - at::tensor({centre[0], centre[1], centre[2]}, at::kDouble);
  return (offset.norm(2, -1) - radius).unsqueeze(0).unsqueeze(0).to(at::kFloat);
}

// ego_from_camera of a camera at `position` looking along +x of the ego frame
// (camera z = ego x, camera x = -ego y, camera y = -ego z), turned by `yaw`
// radians about ego z. [4, 4] double.
inline at::Tensor forward_camera(const std::array<double, 3>& position, double yaw = 0.0) {
  const double c = std::cos(yaw), s = std::sin(yaw);
  // Columns: camera x, y, z axes in the ego frame.
  const double x_axis[3] = {s, -c, 0.0}, y_axis[3] = {0.0, 0.0, -1.0}, z_axis[3] = {c, s, 0.0};
  at::Tensor pose = at::eye(4, at::kDouble);
  for (int64_t row = 0; row < 3; ++row) {
    pose[row][0] = x_axis[row];
    pose[row][1] = y_axis[row];
    pose[row][2] = z_axis[row];
    pose[row][3] = position[static_cast<size_t>(row)];
  }
  return pose;
}

inline at::Tensor pinhole(double focal, double cx, double cy) {
  return at::tensor({focal, 0.0, cx, 0.0, focal, cy, 0.0, 0.0, 1.0}, at::kDouble).reshape({3, 3});
}

}  // namespace occ::render::test
