// Ray pixels, camera rays, the box slab test, stratified samples, LiDAR rays,
// field sampling and the grid gradient, each against hand-computed values.
#include "render/rays.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "render/fields.h"
#include "render/render_config.h"
#include "render/volume_box.h"
#include "render_test_scenes.h"

namespace occ::render {
namespace {

TEST(RayGridPixels, RegularGridInsideTheImageAndRepeatableFromTheSeed) {
  const at::Tensor pixels = ray_grid_pixels(3, 256, 704, 32, 88, make_generator(7));
  ASSERT_EQ(pixels.sizes(), (at::IntArrayRef{3, 32, 88, 2}));
  EXPECT_GE(pixels.min().item<double>(), 0.0);
  EXPECT_LE(pixels.select(-1, 0).max().item<double>(), 703.0);
  EXPECT_LE(pixels.select(-1, 1).max().item<double>(), 255.0);
  // Constant strides in [1, size / count] per element, the same along rows.
  for (int64_t b = 0; b < 3; ++b) {
    const at::Tensor du = pixels[b].select(-1, 0).diff(1, 1);
    const at::Tensor dv = pixels[b].select(-1, 1).diff(1, 0);
    EXPECT_NEAR((du.max() - du.min()).item<double>(), 0.0, 1e-3);
    EXPECT_NEAR((dv.max() - dv.min()).item<double>(), 0.0, 1e-3);
    EXPECT_GE(du.min().item<double>(), 1.0 - 1e-4);
    EXPECT_LE(du.max().item<double>(), 8.0 + 1e-4);
    EXPECT_LE(dv.max().item<double>(), 8.0 + 1e-4);
  }
  EXPECT_TRUE(at::equal(pixels, ray_grid_pixels(3, 256, 704, 32, 88, make_generator(7))));
  EXPECT_FALSE(at::equal(pixels, ray_grid_pixels(3, 256, 704, 32, 88, make_generator(8))));
  EXPECT_THROW(ray_grid_pixels(1, 16, 16, 32, 8, make_generator(0)), UsageError);
}

TEST(CameraRays, DirectionsDepthScaleAndBoxInterval) {
  // A camera at (1, 0, 0) looking along +x inside the box x 0..10, y,z -5..5.
  const VolumeBox box = VolumeBox::from_cells({0, -5, -5}, {10, 5, 5}, {10, 10, 10});
  const at::Tensor intrinsics = test::pinhole(100.0, 50.0, 40.0).reshape({1, 1, 3, 3});
  const at::Tensor pose = test::forward_camera({1.0, 0.0, 0.0}).reshape({1, 1, 4, 4});
  // The principal point and a pixel 100 px right of it (45 degrees).
  const at::Tensor pixels = at::tensor({50.0, 40.0, 150.0, 40.0}, at::kFloat).reshape({1, 1, 2, 2});
  const CameraRays rays = camera_rays(pixels, intrinsics.to(at::kFloat), pose.to(at::kFloat), box);
  ASSERT_EQ(rays.directions.sizes(), (at::IntArrayRef{1, 2, 3}));
  // Centre ray: +x; right pixel: camera x is -y in the ego frame.
  const double r = 1.0 / std::sqrt(2.0);
  const double expected[2][3] = {{1, 0, 0}, {r, -r, 0}};
  for (int64_t ray = 0; ray < 2; ++ray)
    for (int64_t axis = 0; axis < 3; ++axis)
      EXPECT_NEAR(rays.directions[0][ray][axis].item<double>(), expected[ray][axis], 1e-6);
  EXPECT_NEAR(rays.z_per_distance[0][0].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(rays.z_per_distance[0][1].item<double>(), r, 1e-6);
  // Inside the box: near 0; the centre ray leaves at x = 10 (9 m), the
  // oblique one at y = -5 (5 sqrt 2 m).
  EXPECT_NEAR(rays.near[0][0].item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(rays.far[0][0].item<double>(), 9.0, 1e-5);
  EXPECT_NEAR(rays.far[0][1].item<double>(), 5.0 * std::sqrt(2.0), 1e-5);
  EXPECT_TRUE(rays.hit.all().item<bool>());
  EXPECT_NEAR(rays.origins[0][1][0].item<double>(), 1.0, 1e-6);
}

TEST(BoxInterval, OutsideOriginsEnterLaterAndMissesAreFlagged) {
  const VolumeBox box = VolumeBox::from_cells({0, 0, 0}, {4, 4, 4}, {4, 4, 4});
  const at::Tensor origins = at::tensor({-2.0, 2.0, 2.0, -2.0, 6.0, 2.0}, at::kDouble).reshape({1, 2, 3});
  const at::Tensor directions = at::tensor({1.0, 0.0, 0.0, 1.0, 0.0, 0.0}, at::kDouble).reshape({1, 2, 3});
  const RayInterval interval = box_interval(origins, directions, box);
  EXPECT_NEAR(interval.near[0][0].item<double>(), 2.0, 1e-12);
  EXPECT_NEAR(interval.far[0][0].item<double>(), 6.0, 1e-12);
  EXPECT_TRUE(interval.hit[0][0].item<bool>());
  EXPECT_FALSE(interval.hit[0][1].item<bool>());
  EXPECT_EQ(interval.far[0][1].item<double>(), interval.near[0][1].item<double>());
}

TEST(StratifiedSamples, SortedInsideTheIntervalAndCoveringIt) {
  const at::Tensor near = at::tensor({1.0, 0.0}, at::kDouble).reshape({1, 2});
  const at::Tensor far = at::tensor({5.0, 2.0}, at::kDouble).reshape({1, 2});
  const at::Tensor vectors = at::zeros({1, 2, 3}, at::kDouble);
  for (const double u : {0.0, 0.37, 0.999}) {
    const RaySamples samples =
        stratified_samples(vectors, vectors, near, far, 8, at::full({1, 2}, u, at::kDouble));
    const at::Tensor t = samples.t[0][0];
    EXPECT_TRUE((t.diff() > 0).all().item<bool>()) << u;
    EXPECT_GE(t.min().item<double>(), 1.0);
    EXPECT_LE(t.max().item<double>(), 5.0);
    // Contiguous samples covering all of [near, far] but half a bin (the
    // jittered edges of nerfstudio's UniformSampler): lengths add up to
    // (far - near)(1 - 0.5 / S).
    EXPECT_NEAR(samples.deltas[0][0].sum().item<double>(), 4.0 * (1.0 - 0.5 / 8.0), 1e-12) << u;
    EXPECT_NEAR(samples.deltas[0][1].sum().item<double>(), 2.0 * (1.0 - 0.5 / 8.0), 1e-12) << u;
    const at::Tensor ends = samples.t + samples.deltas * 0.5, starts = samples.t - samples.deltas * 0.5;
    EXPECT_NEAR((starts.narrow(2, 1, 7) - ends.narrow(2, 0, 7)).abs().max().item<double>(), 0.0, 1e-12);
  }
  // u = 0.5 gives the plain midpoints of 8 equal bins but the first and last,
  // which start and end on the interval.
  const RaySamples middle =
      stratified_samples(vectors, vectors, near, far, 8, at::full({1, 2}, 0.5, at::kDouble));
  EXPECT_NEAR(middle.t[0][1][3].item<double>(), 0.875, 1e-12);  // edges 0.75 and 1.0 of [0, 2]
  EXPECT_NEAR(middle.deltas[0][1][3].item<double>(), 0.25, 1e-12);
}

TEST(RayJitter, SharedByTheCamerasOfOneElement) {
  const at::Tensor jitter = ray_jitter(2, 3, 5, make_generator(1));
  ASSERT_EQ(jitter.sizes(), (at::IntArrayRef{2, 15}));
  EXPECT_TRUE(at::equal(jitter[0].narrow(0, 0, 5), jitter[0].narrow(0, 10, 5)));
  EXPECT_FALSE(at::equal(jitter[0], jitter[1]));
}

TEST(LidarRays, TowardsThePointsWithTheirRange) {
  const VolumeBox box = VolumeBox::from_cells({-10, -10, -2}, {10, 10, 4}, {20, 20, 6});
  const at::Tensor points = at::tensor({3.0, 4.0, 1.8, -6.0, 0.0, 1.8}, at::kDouble).reshape({1, 2, 3});
  const at::Tensor sensor = at::tensor({0.0, 0.0, 1.8}, at::kDouble).reshape({1, 3});
  const LidarRays rays = lidar_rays(points, sensor, box);
  EXPECT_NEAR(rays.range[0][0].item<double>(), 5.0, 1e-12);
  EXPECT_NEAR(rays.range[0][1].item<double>(), 6.0, 1e-12);
  EXPECT_NEAR(rays.directions[0][0][1].item<double>(), 0.8, 1e-12);
  EXPECT_NEAR(rays.far[0][1].item<double>(), 10.0, 1e-9);
}

TEST(SampleVolume, TrilinearOnTheVertexGridWithBorderPadding) {
  // A linear field is reproduced exactly inside and clamped outside.
  const VolumeBox box = VolumeBox::from_cells({-1, 0, 2}, {3, 2, 3}, {4, 4, 2});
  const at::Tensor p = test::vertex_points(box);
  const at::Tensor field =
      (p.select(-1, 0) * 2.0 + p.select(-1, 1) - 3.0 * p.select(-1, 2)).reshape({1, 1, 5, 5, 3});
  const at::Tensor points =
      at::tensor({0.3, 1.1, 2.6, 2.9, 0.05, 2.2, 5.0, 1.0, 2.5}, at::kDouble).reshape({1, 3, 3});
  const at::Tensor values = sample_volume(field, box, points);
  ASSERT_EQ(values.sizes(), (at::IntArrayRef{1, 3, 1}));
  EXPECT_NEAR(values[0][0][0].item<double>(), 0.6 + 1.1 - 7.8, 1e-12);
  EXPECT_NEAR(values[0][1][0].item<double>(), 5.8 + 0.05 - 6.6, 1e-12);
  // x = 5 lies beyond the box (max 3): border padding reads x = 3.
  EXPECT_NEAR(values[0][2][0].item<double>(), 6.0 + 1.0 - 7.5, 1e-12);
}

TEST(SdfGradientVolume, CentralDifferencesInMetresHalvedOnTheReplicatedBorder) {
  const VolumeBox box = VolumeBox::from_cells({0, 0, 0}, {2, 1, 1}, {4, 2, 2});
  const at::Tensor p = test::vertex_points(box);
  const at::Tensor sdf = (p.select(-1, 0) * 3.0 - p.select(-1, 2)).reshape({1, 1, 5, 3, 3});
  const at::Tensor gradient = sdf_gradient_volume(sdf, box);
  ASSERT_EQ(gradient.sizes(), (at::IntArrayRef{1, 3, 5, 3, 3}));
  EXPECT_NEAR(gradient[0][0][2][1][1].item<double>(), 3.0, 1e-12);
  EXPECT_NEAR(gradient[0][1][2][1][1].item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(gradient[0][2][2][1][1].item<double>(), -1.0, 1e-12);
  EXPECT_NEAR(gradient[0][0][0][1][1].item<double>(), 1.5, 1e-12);  // replicated neighbour
  EXPECT_NEAR(gradient[0][2][2][1][2].item<double>(), -0.5, 1e-12);
}

TEST(RenderConfig, JsonRoundTripAndKeyErrors) {
  RenderConfig config;
  config.samples = 64;
  const RenderConfig parsed = RenderConfig::from_json(config.to_json());
  EXPECT_EQ(parsed.samples, 64);
  EXPECT_EQ(parsed.ray_cols, 88);
  auto unknown = config.to_json();
  unknown["render.sample"] = 3;
  try {
    RenderConfig::from_json(unknown);
    FAIL() << "an unknown key was accepted";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("'model.render.sample'"), std::string::npos) << error.what();
  }
  auto missing = config.to_json();
  missing.erase("render.fused");
  EXPECT_THROW(RenderConfig::from_json(missing), UsageError);
  nlohmann::json model = config.to_json();
  model["embed_dims"] = 96;
  EXPECT_EQ(select_keys(model, "render.").size(), config.to_json().size());
}

}  // namespace
}  // namespace occ::render
