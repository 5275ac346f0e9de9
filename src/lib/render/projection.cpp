#include "render/projection.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "core/strings.h"
#include "nn/shape_text.h"

namespace occ::render {
namespace {

// [B, N, ..., k] -> [B, N, M, k] and back.
at::Tensor flatten_middle(const at::Tensor& tensor) {
  return tensor.reshape({tensor.size(0), tensor.size(1), -1, tensor.size(-1)});
}

std::vector<int64_t> middle_shape(const at::Tensor& tensor) {
  return std::vector<int64_t>(tensor.sizes().begin(), tensor.sizes().end() - 1);
}

void check_points(const at::Tensor& points, int64_t last, const at::Tensor& per_camera, const char* what) {
  if (!points.defined() || points.dim() < 3 || points.size(-1) != last || !per_camera.defined() ||
      per_camera.dim() < 2 || points.size(0) != per_camera.size(0) || points.size(1) != per_camera.size(1))
    throw UsageError(str(what, ": points ", nn::shape_text(points), " must be [B, N, ..., ", last,
                         "] over the cameras of ", nn::shape_text(per_camera)));
}

}  // namespace

Projection project_points(const at::Tensor& points_in_ego, const at::Tensor& intrinsics,
                          const at::Tensor& camera_from_ego) {
  check_points(points_in_ego, 3, intrinsics, "project_points");
  if (camera_from_ego.sizes() != at::IntArrayRef({intrinsics.size(0), intrinsics.size(1), 4, 4}) ||
      intrinsics.size(-1) != 3 || intrinsics.size(-2) != 3)
    throw UsageError("project_points: intrinsics " + nn::shape_text(intrinsics) + " and camera_from_ego " +
                     nn::shape_text(camera_from_ego) + " must be [B, N, 3, 3] and [B, N, 4, 4]");
  const at::Tensor points = flatten_middle(points_in_ego);
  const auto options = points.options();
  const at::Tensor rotation = camera_from_ego.narrow(-2, 0, 3).narrow(-1, 0, 3).to(options);
  const at::Tensor translation = camera_from_ego.narrow(-2, 0, 3).select(-1, 3).to(options);
  const at::Tensor in_camera = at::matmul(points, rotation.transpose(-1, -2)) + translation.unsqueeze(2);
  const at::Tensor homogeneous = at::matmul(in_camera, intrinsics.to(options).transpose(-1, -2));
  const at::Tensor depth = homogeneous.select(-1, 2);
  Projection projection;
  std::vector<int64_t> pixel_shape = middle_shape(points_in_ego);
  pixel_shape.push_back(2);
  projection.pixels =
      (homogeneous.narrow(-1, 0, 2) / depth.clamp_min(1e-5).unsqueeze(-1)).reshape(pixel_shape);
  projection.depth = depth.reshape(middle_shape(points_in_ego));
  return projection;
}

at::Tensor inside_image(const Projection& projection, int64_t height, int64_t width) {
  const at::Tensor u = projection.pixels.select(-1, 0), v = projection.pixels.select(-1, 1);
  return (projection.depth > 0) & (u >= 0) & (u <= static_cast<double>(width - 1)) & (v >= 0) &
         (v <= static_cast<double>(height - 1));
}

at::Tensor sample_images(const at::Tensor& images, const at::Tensor& pixels) {
  if (!images.defined() || images.dim() != 5)
    throw UsageError("sample_images: images must be [B, N, C, H, W], got " + nn::shape_text(images));
  check_points(pixels, 2, images, "sample_images");
  const int64_t batch = images.size(0), cameras = images.size(1), channels = images.size(2);
  const int64_t height = images.size(3), width = images.size(4);
  const at::Tensor flat = flatten_middle(pixels).to(images.scalar_type());  // [B, N, M, 2]
  const at::Tensor grid =
      at::stack({flat.select(-1, 0) * (2.0 / static_cast<double>(std::max<int64_t>(width - 1, 1))) - 1.0,
                 flat.select(-1, 1) * (2.0 / static_cast<double>(std::max<int64_t>(height - 1, 1))) - 1.0},
                -1)
          .reshape({batch * cameras, 1, -1, 2});
  // Modes: 0 = bilinear, 1 = border padding.
  const at::Tensor sampled =
      at::grid_sampler_2d(images.reshape({batch * cameras, channels, height, width}), grid, 0, 1, true);
  std::vector<int64_t> shape = middle_shape(pixels);
  shape.push_back(channels);
  return sampled.squeeze(2).transpose(1, 2).reshape(shape);
}

at::Tensor nearest_at_pixels(const at::Tensor& map, const at::Tensor& pixels, int64_t height, int64_t width) {
  if (!map.defined() || map.dim() != 5)
    throw UsageError("nearest_at_pixels: the map must be [B, N, C, h, w], got " + nn::shape_text(map));
  check_points(pixels, 2, map, "nearest_at_pixels");
  const int64_t batch = map.size(0), cameras = map.size(1), channels = map.size(2);
  const int64_t map_height = map.size(3), map_width = map.size(4);
  const at::Tensor flat = flatten_middle(pixels).to(at::kDouble);
  const at::Tensor column =
      ((flat.select(-1, 0) + 0.5) * (static_cast<double>(map_width) / static_cast<double>(width)))
          .floor()
          .clamp(0, map_width - 1)
          .to(at::kLong);
  const at::Tensor row =
      ((flat.select(-1, 1) + 0.5) * (static_cast<double>(map_height) / static_cast<double>(height)))
          .floor()
          .clamp(0, map_height - 1)
          .to(at::kLong);
  const at::Tensor index = (row * map_width + column).unsqueeze(2).expand({batch, cameras, channels, -1});
  const at::Tensor gathered = map.reshape({batch, cameras, channels, -1}).gather(-1, index);  // [B, N, C, M]
  std::vector<int64_t> shape = middle_shape(pixels);
  shape.push_back(channels);
  return gathered.transpose(2, 3).reshape(shape);
}

}  // namespace occ::render
