#pragma once
// Pinhole projection of ego-frame points into cameras, and reading images or
// stored label maps at (sub-)pixel positions; shared by the photometric and
// flow losses. Pixel convention of rays.h: (u, v), centre of the top-left
// pixel at (0, 0).
#include <ATen/ATen.h>

namespace occ::render {

struct Projection {
  at::Tensor pixels;  // [B, N, ..., 2]
  at::Tensor depth;   // [B, N, ...] camera z (metres)
};

// points_in_ego [B, N, ..., 3]; intrinsics [B, N, 3, 3]; camera_from_ego
// [B, N, 4, 4]. Pixels divide by max(z, 1e-5) (SelfOcc's cal_pixel); z <= 0
// marks points behind the camera.
Projection project_points(const at::Tensor& points_in_ego, const at::Tensor& intrinsics,
                          const at::Tensor& camera_from_ego);

// true where depth > 0 and 0 <= u <= width - 1, 0 <= v <= height - 1.
at::Tensor inside_image(const Projection& projection, int64_t height, int64_t width);

// images [B, N, C, H, W] bilinearly at pixels [B, N, ..., 2] -> [B, N, ..., C]
// (align_corners=True on pixel centres, border padding); differentiable
// w.r.t. the images and the pixels.
at::Tensor sample_images(const at::Tensor& images, const at::Tensor& pixels);

// A label map stored at its own resolution [B, N, C, h, w] read by nearest
// neighbour at pixels [B, N, ..., 2] of a height x width image -> [B, N, ..., C]:
// the map pixel whose area holds the image pixel centre,
// floor((u + 0.5) w / width), clamped to the map.
at::Tensor nearest_at_pixels(const at::Tensor& map, const at::Tensor& pixels, int64_t height, int64_t width);

}  // namespace occ::render
