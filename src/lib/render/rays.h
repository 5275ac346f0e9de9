#pragma once
// Rays for rendering: per camera a grid of ray pixels with a random stride and
// offset (SelfOcc's "cellular" RaySampler, huang-yh/SelfOcc
// model/head/nerfacc_head/ray_sampler.py, which Let Occ Flow keeps: 32x88 rays
// on 256x704 nuScenes renders, 44x152 on KITTI), camera rays through them, the
// near/far where they cross the volume box, stratified samples along them with
// one jitter per ray (nerfstudio UniformSampler, single_jitter), and LiDAR rays.
//
// Pixel convention: (u, v) = (column, row) with the centre of the top-left
// pixel at (0, 0), the convention of OpenCV intrinsics K. The camera ray of a
// pixel is ego_from_camera applied to K^-1 (u, v, 1).
//
// Randomness is always an explicit generator (make_generator(seed)), so a data
// loader can draw it deterministically and a resumed run repeats it.
#include <ATen/ATen.h>

#include <cstdint>

#include "render/neus_rendering.h"
#include "render/volume_box.h"

namespace occ::render {

// A CPU generator seeded with `seed`.
at::Generator make_generator(uint64_t seed);

// [B, rows, cols, 2] (u, v) ray pixels of a height x width image: per batch
// element one stride s_u in [1, width / cols] and one offset in
// [0, width - cols s_u] (the same for v), drawn uniformly, shared by all
// cameras of that element (so that rendering does not depend on camera order);
// u_j = offset_u + j s_u. Throws UsageError when the grid does not fit.
at::Tensor ray_grid_pixels(int64_t batch, int64_t height, int64_t width, int64_t rows, int64_t cols,
                           at::Generator generator);

struct CameraRays {
  at::Tensor origins;         // [B, R, 3] ego frame; R = N * rows * cols, camera-major
  at::Tensor directions;      // [B, R, 3] unit
  at::Tensor z_per_distance;  // [B, R] camera z of one metre along the ray (1 / |K^-1 (u, v, 1)|)
  at::Tensor near;            // [B, R] where the ray enters the box (>= 0)
  at::Tensor far;             // [B, R] where it leaves (>= near; == near when it misses)
  at::Tensor hit;             // [B, R] bool: the ray crosses the box
};

// pixels [B, rows, cols, 2] (shared by the cameras) or [B, N, rows, cols, 2];
// intrinsics [B, N, 3, 3]; ego_from_camera [B, N, 4, 4].
CameraRays camera_rays(const at::Tensor& pixels, const at::Tensor& intrinsics,
                       const at::Tensor& ego_from_camera, const VolumeBox& box);

// Slab test of origins/directions [B, R, 3] against the box: {near, far, hit}
// as in CameraRays.
struct RayInterval {
  at::Tensor near, far, hit;
};
RayInterval box_interval(const at::Tensor& origins, const at::Tensor& directions, const VolumeBox& box);

// One uniform jitter per ray pixel, [B, cameras * rays_per_camera]: drawn per
// pixel of the grid and shared by the cameras, so that rendering does not
// depend on camera order (as the ray grid itself).
at::Tensor ray_jitter(int64_t batch, int64_t cameras, int64_t rays_per_camera, at::Generator generator);

// `samples` stratified samples on [near, far] per ray with that ray's jitter
// u in [0, 1) (jitter [B, R], nerfstudio's single_jitter): bin edges
// e_k = lo_k + (hi_k - lo_k) u over k = 0..S with lo = (0, 0.5/S, 1.5/S, ...,
// (S-0.5)/S), hi = (0.5/S, ..., (S-0.5)/S, 1); sample i spans [e_i, e_{i+1}]
// scaled to [near, far]: t = its middle, delta = its length. The samples are
// contiguous and cover [near, far] but half a bin, (far - near)(1 - 0.5/S), as
// nerfstudio's. origins and directions are passed through.
RaySamples stratified_samples(const at::Tensor& origins, const at::Tensor& directions, const at::Tensor& near,
                              const at::Tensor& far, int64_t samples, const at::Tensor& jitter);

struct LidarRays {
  at::Tensor origins;     // [B, P, 3]
  at::Tensor directions;  // [B, P, 3] unit, towards the point
  at::Tensor range;       // [B, P] metres from the sensor to the point (SILog target)
  at::Tensor near, far, hit;
};

// points_in_ego [B, P, 3], sensor_in_ego [B, 3] (the LiDAR origin).
LidarRays lidar_rays(const at::Tensor& points_in_ego, const at::Tensor& sensor_in_ego, const VolumeBox& box);

// Camera z-depth of rendered ray distances: distance * z_per_distance.
inline at::Tensor z_depth(const at::Tensor& distance, const at::Tensor& z_per_distance) {
  return distance * z_per_distance;
}

}  // namespace occ::render
