#include "render/rays.h"

#include <ATen/CPUGeneratorImpl.h>

#include <string>

#include "core/error.h"
#include "core/strings.h"
#include "nn/shape_text.h"

namespace occ::render {
namespace {

void check_last(const at::Tensor& tensor, int64_t dims, int64_t last, const char* what) {
  if (!tensor.defined() || tensor.dim() != dims || tensor.size(-1) != last)
    throw UsageError(str("rays: ", what, " must have ", dims, " dimensions ending in ", last, ", got ",
                         tensor.defined() ? nn::shape_text(tensor) : std::string("undefined")));
}

}  // namespace

at::Generator make_generator(uint64_t seed) {
  return at::detail::createCPUGenerator(seed);
}

at::Tensor ray_grid_pixels(int64_t batch, int64_t height, int64_t width, int64_t rows, int64_t cols,
                           at::Generator generator) {
  if (batch < 1 || rows < 1 || cols < 1 || rows > height || cols > width)
    throw UsageError(str("rays: a ", rows, "x", cols, " ray grid does not fit a ", height, "x", width,
                         " image (batch ", batch, ")"));
  // Four uniforms per element, drawn in one call: stride u, stride v, offset u, offset v.
  const at::Tensor uniforms = at::rand({batch, 4}, generator, at::kDouble);
  const auto draws = uniforms.accessor<double, 2>();
  at::Tensor pixels = at::empty({batch, rows, cols, 2}, at::kFloat);
  auto out = pixels.accessor<float, 4>();
  for (int64_t b = 0; b < batch; ++b) {
    // SelfOcc: stride in [1, size / count], offset in [0, size - count * stride].
    const double stride_u = 1.0 + draws[b][0] * (static_cast<double>(width) / cols - 1.0);
    const double stride_v = 1.0 + draws[b][1] * (static_cast<double>(height) / rows - 1.0);
    const double offset_u = draws[b][2] * (static_cast<double>(width) - cols * stride_u);
    const double offset_v = draws[b][3] * (static_cast<double>(height) - rows * stride_v);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        out[b][i][j][0] = static_cast<float>(offset_u + static_cast<double>(j) * stride_u);
        out[b][i][j][1] = static_cast<float>(offset_v + static_cast<double>(i) * stride_v);
      }
  }
  return pixels;
}

RayInterval box_interval(const at::Tensor& origins, const at::Tensor& directions, const VolumeBox& box) {
  check_volume_box(box, "rays");
  const auto options = origins.options();
  const at::Tensor lower =
      at::tensor(std::vector<double>(box.origin_m.begin(), box.origin_m.end()), options.dtype(at::kDouble))
          .to(options);
  const at::Tensor upper =
      at::tensor(std::vector<double>{box.max_m(0), box.max_m(1), box.max_m(2)}, options.dtype(at::kDouble))
          .to(options);
  // Axis-parallel directions: a tiny slope of the same sign keeps the slab
  // bounds finite (+-huge) instead of 0/0.
  const at::Tensor safe = at::where(
      directions.abs() < 1e-12,
      at::where(directions < 0, at::full_like(directions, -1e-12), at::full_like(directions, 1e-12)),
      directions);
  const at::Tensor t_lower = (lower - origins) / safe;
  const at::Tensor t_upper = (upper - origins) / safe;
  const at::Tensor entry = std::get<0>(at::minimum(t_lower, t_upper).max(-1));
  const at::Tensor exit = std::get<0>(at::maximum(t_lower, t_upper).min(-1));
  RayInterval interval;
  interval.near = entry.clamp_min(0.0);
  interval.hit = exit > interval.near;
  interval.far = at::maximum(exit, interval.near);
  return interval;
}

CameraRays camera_rays(const at::Tensor& pixels_in, const at::Tensor& intrinsics,
                       const at::Tensor& ego_from_camera, const VolumeBox& box) {
  check_last(intrinsics, 4, 3, "intrinsics [B, N, 3, 3]");
  check_last(ego_from_camera, 4, 4, "ego_from_camera [B, N, 4, 4]");
  const int64_t batch = intrinsics.size(0), cameras = intrinsics.size(1);
  if (ego_from_camera.size(0) != batch || ego_from_camera.size(1) != cameras)
    throw UsageError("rays: ego_from_camera " + nn::shape_text(ego_from_camera) +
                     " does not match intrinsics " + nn::shape_text(intrinsics));
  at::Tensor pixels = pixels_in;
  if (pixels.defined() && pixels.dim() == 4) pixels = pixels.unsqueeze(1).expand({-1, cameras, -1, -1, -1});
  check_last(pixels, 5, 2, "pixels [B, rows, cols, 2] or [B, N, rows, cols, 2]");
  if (pixels.size(0) != batch || pixels.size(1) != cameras)
    throw UsageError("rays: pixels " + nn::shape_text(pixels) + " do not match " + std::to_string(batch) +
                     " batch elements of " + std::to_string(cameras) + " cameras");
  const auto options = intrinsics.options();
  const at::Tensor flat = pixels.flatten(2, 3).to(options);  // [B, N, P, 2]
  const at::Tensor homogeneous = at::cat({flat, at::ones_like(flat.narrow(-1, 0, 1))}, -1);
  // K^-1 (u, v, 1) has camera z = 1, so its length is metres per unit of z.
  const at::Tensor in_camera = at::matmul(homogeneous, at::inverse(intrinsics).transpose(-1, -2));
  const at::Tensor length = in_camera.norm(2, -1);  // [B, N, P]
  const at::Tensor rotation = ego_from_camera.narrow(-2, 0, 3).narrow(-1, 0, 3).to(options);
  const at::Tensor in_ego = at::matmul(in_camera / length.unsqueeze(-1), rotation.transpose(-1, -2));
  const at::Tensor origin = ego_from_camera.narrow(-2, 0, 3).select(-1, 3).to(options);  // [B, N, 3]
  CameraRays rays;
  rays.directions = in_ego.flatten(1, 2);
  rays.origins = origin.unsqueeze(2).expand_as(in_ego).flatten(1, 2);
  rays.z_per_distance = length.reciprocal().flatten(1, 2);
  RayInterval interval = box_interval(rays.origins, rays.directions, box);
  rays.near = interval.near;
  rays.far = interval.far;
  rays.hit = interval.hit;
  return rays;
}

at::Tensor ray_jitter(int64_t batch, int64_t cameras, int64_t rays_per_camera, at::Generator generator) {
  if (batch < 1 || cameras < 1 || rays_per_camera < 1)
    throw UsageError(
        str("rays: cannot draw jitter for ", batch, " x ", cameras, " x ", rays_per_camera, " rays"));
  return at::rand({batch, 1, rays_per_camera}, generator, at::kDouble)
      .expand({batch, cameras, rays_per_camera})
      .reshape({batch, cameras * rays_per_camera});
}

RaySamples stratified_samples(const at::Tensor& origins, const at::Tensor& directions, const at::Tensor& near,
                              const at::Tensor& far, int64_t samples, const at::Tensor& jitter_in) {
  if (samples < 1) throw UsageError(str("rays: need at least 1 sample per ray, got ", samples));
  if (!near.defined() || !far.defined() || near.sizes() != far.sizes() || near.dim() != 2)
    throw UsageError("rays: near and far must be [B, R] of one shape");
  if (!jitter_in.defined() || jitter_in.sizes() != near.sizes())
    throw UsageError("rays: jitter " + nn::shape_text(jitter_in) + " must match near " +
                     nn::shape_text(near));
  const auto options = near.options();
  const double count = static_cast<double>(samples);
  // Edges k = 0..S: lower = (0, 0.5/S, ...), upper = (..., (S-0.5)/S, 1).
  const at::Tensor centres = (at::arange(samples - 1, options) + 1.0) / count;
  const at::Tensor zero = at::zeros({1}, options), one = at::ones({1}, options);
  const at::Tensor bin_lower = at::cat({zero, centres - 0.5 / count, (count - 0.5) / count * one});
  const at::Tensor bin_upper = at::cat({0.5 / count * one, centres + 0.5 / count, one});
  const at::Tensor jitter = jitter_in.to(options).unsqueeze(-1);
  const at::Tensor edges = bin_lower + (bin_upper - bin_lower) * jitter;  // [B, R, S+1] in [0, 1]
  const at::Tensor span = (far - near).unsqueeze(-1);
  const at::Tensor starts = near.unsqueeze(-1) + span * edges.narrow(-1, 0, samples);
  const at::Tensor ends = near.unsqueeze(-1) + span * edges.narrow(-1, 1, samples);
  RaySamples result;
  result.origins = origins;
  result.directions = directions;
  result.t = (starts + ends) * 0.5;
  result.deltas = ends - starts;
  return result;
}

LidarRays lidar_rays(const at::Tensor& points_in_ego, const at::Tensor& sensor_in_ego, const VolumeBox& box) {
  check_last(points_in_ego, 3, 3, "LiDAR points_in_ego [B, P, 3]");
  check_last(sensor_in_ego, 2, 3, "LiDAR sensor_in_ego [B, 3]");
  LidarRays rays;
  const at::Tensor offset = points_in_ego - sensor_in_ego.unsqueeze(1);
  rays.range = offset.norm(2, -1);
  rays.directions = offset / rays.range.clamp_min(1e-9).unsqueeze(-1);
  rays.origins = sensor_in_ego.unsqueeze(1).expand_as(points_in_ego);
  RayInterval interval = box_interval(rays.origins, rays.directions, box);
  rays.near = interval.near;
  rays.far = interval.far;
  rays.hit = interval.hit;
  return rays;
}

}  // namespace occ::render
