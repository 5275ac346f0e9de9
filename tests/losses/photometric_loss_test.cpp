// SSIM against windows computed by hand, and the photometric reprojection loss
// on a textured plane: zero with the true depth and pose, positive with a
// wrong pose, invalid rays at 1e3, and one gradient step moving a wrong
// depth plane towards the true one.
#include "losses/photometric_loss.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "losses/ssim.h"
#include "render/neus_rendering.h"
#include "render/projection.h"
#include "render/rays.h"
#include "render/render_test_scenes.h"

namespace occ::losses {
namespace {

namespace test = render::test;

int64_t reflect(int64_t i, int64_t n) {
  return i < 0 ? -i : (i >= n ? 2 * n - 2 - i : i);
}

// SSIM dissimilarity of one pixel from its 3x3 reflected window, in plain loops.
double window_ssim(const at::Tensor& x, const at::Tensor& y, int64_t row, int64_t col) {
  const int64_t h = x.size(0), w = x.size(1);
  double mx = 0, my = 0, mxx = 0, myy = 0, mxy = 0;
  for (int64_t dr = -1; dr <= 1; ++dr)
    for (int64_t dc = -1; dc <= 1; ++dc) {
      const double a = x[reflect(row + dr, h)][reflect(col + dc, w)].item<double>();
      const double b = y[reflect(row + dr, h)][reflect(col + dc, w)].item<double>();
      mx += a / 9;
      my += b / 9;
      mxx += a * a / 9;
      myy += b * b / 9;
      mxy += a * b / 9;
    }
  const double c1 = 1e-4, c2 = 9e-4;
  const double ssim = (2 * mx * my + c1) * (2 * (mxy - mx * my) + c2) /
                      ((mx * mx + my * my + c1) * (mxx - mx * mx + myy - my * my + c2));
  return std::min(1.0, std::max(0.0, (1 - ssim) / 2));
}

TEST(Ssim, EqualsHandComputedWindows) {
  at::manual_seed(3);
  const at::Tensor x = at::rand({2, 3, 5, 6}, at::kDouble),
                   y = (x + 0.2 * at::randn({2, 3, 5, 6}, at::kDouble)).clamp(0, 1);
  const at::Tensor d = ssim_dissimilarity(x, y);
  ASSERT_EQ(d.sizes(), x.sizes());
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t row = 0; row < 5; ++row)
        for (int64_t col = 0; col < 6; ++col)
          EXPECT_NEAR(d[b][c][row][col].item<double>(), window_ssim(x[b][c], y[b][c], row, col), 1e-12);
  // Constant images a, b: SSIM = (2ab + C1) / (a^2 + b^2 + C1).
  const at::Tensor a = at::full({1, 1, 3, 3}, 0.5, at::kDouble), b = at::full({1, 1, 3, 3}, 0.3, at::kDouble);
  EXPECT_NEAR(ssim_dissimilarity(a, b)[0][0][1][1].item<double>(), (1.0 - 0.3001 / 0.3401) / 2.0, 1e-12);
  EXPECT_NEAR(ssim_dissimilarity(x, x).abs().max().item<double>(), 0.0, 1e-12);
  EXPECT_THROW(ssim_dissimilarity(x, y.narrow(3, 0, 4)), UsageError);
}

// A camera at the ego origin looking along +x at the plane x = 10, and source
// cameras shifted sideways by +-baseline along ego y.
struct PlaneScene {
  static constexpr double kDepth = 10.0, kFocal = 20.0;
  static constexpr int64_t kHeight = 24, kWidth = 40;
  at::Tensor intrinsics = test::pinhole(kFocal, 19.5, 11.5).reshape({1, 1, 3, 3});
  at::Tensor pose = test::forward_camera({0, 0, 0}).reshape({1, 1, 4, 4});
  static at::Tensor camera_from_ego(double y) {
    return at::inverse(test::forward_camera({0, y, 0})).reshape({1, 1, 4, 4});
  }
};

// Ray pixels u = 6 + 5 j, v = 3 + 5 i on a 4 x 6 grid: [1, 1, 4, 6, 2].
at::Tensor integer_grid() {
  std::vector<double> values;
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 6; ++j) {
      values.push_back(6.0 + 5.0 * static_cast<double>(j));
      values.push_back(3.0 + 5.0 * static_cast<double>(i));
    }
  return at::tensor(values, at::kDouble).reshape({1, 1, 4, 6, 2});
}

// Samples along the rays of `pixels` with all weight on the one at the plane.
struct OneHotSamples {
  at::Tensor points, weights;
};

OneHotSamples one_hot_samples(const PlaneScene& scene, const at::Tensor& pixels) {
  const render::VolumeBox box = render::VolumeBox::from_cells({0, -20, -20}, {20, 20, 20}, {4, 4, 4});
  const render::CameraRays rays = render::camera_rays(pixels, scene.intrinsics, scene.pose, box);
  const at::Tensor plane_t = PlaneScene::kDepth / rays.directions.select(-1, 0);  // [1, R]
  const at::Tensor offsets = at::tensor({-2.0, -0.7, 0.0, 0.9, 3.0}, at::kDouble);
  const at::Tensor t = plane_t.unsqueeze(-1) + offsets;  // [1, R, 5]
  const at::Tensor points = rays.origins.unsqueeze(2) + t.unsqueeze(-1) * rays.directions.unsqueeze(2);
  OneHotSamples samples;
  samples.points = points.reshape({1, 1, 4, 6, 5, 3});
  samples.weights = at::tensor({0.0, 0.0, 1.0, 0.0, 0.0}, at::kDouble).expand({1, 1, 4, 6, 5}).contiguous();
  return samples;
}

TEST(PhotometricLoss, ZeroWhenTheSourcesAreTheTargetWarpedWithTrueDepthAndPose) {
  PlaneScene scene;
  at::manual_seed(1);
  const at::Tensor target = at::rand({1, 1, 3, PlaneScene::kHeight, PlaneScene::kWidth}, at::kDouble);
  // Baseline 2 m at 10 m and f = 20: 4 px of disparity. A source shifted by +y
  // (left in the image) sees the plane 4 px to the right: I_s(u + 4) = I_t(u).
  const at::Tensor prev_image = target.roll(4, -1), next_image = target.roll(-4, -1);
  const at::Tensor pixels = integer_grid();
  const OneHotSamples samples = one_hot_samples(scene, pixels);
  PhotometricInputs inputs{target,
                           pixels,
                           samples.points,
                           samples.weights,
                           {{prev_image, scene.intrinsics, PlaneScene::camera_from_ego(2.0), {}},
                            {next_image, scene.intrinsics, PlaneScene::camera_from_ego(-2.0), {}}}};
  const PhotometricResult result = photometric_loss(inputs, PhotometricOptions{});
  EXPECT_NEAR(result.loss.item<double>(), 0.0, 1e-9);
  EXPECT_TRUE((result.choice < 2).all().item<bool>());  // reprojection, not the identity, wins

  // Swapped poses reproject 8 px off: the loss is clearly positive.
  PhotometricInputs wrong = inputs;
  std::swap(wrong.sources[0].camera_from_ego, wrong.sources[1].camera_from_ego);
  EXPECT_GT(photometric_loss(wrong, PhotometricOptions{}).loss.item<double>(), 0.05);

  // A sample displacement of the scene (its flow) changes the reprojection: a
  // plane moving by -2 m in y seen from a source at y = 0 looks as a static
  // plane seen from y = +2.
  PhotometricInputs moving = inputs;
  moving.sources.resize(1);
  moving.sources[0].camera_from_ego = PlaneScene::camera_from_ego(0.0);
  moving.sources[0].sample_displacement =
      at::tensor({0.0, -2.0}, at::kDouble).expand({1, 1, 4, 6, 5, 2}).contiguous();
  EXPECT_NEAR(photometric_loss(moving, PhotometricOptions{}).loss.item<double>(), 0.0, 1e-9);
}

TEST(PhotometricLoss, RaysWithoutValidProjectionCostTheInvalidLoss) {
  PlaneScene scene;
  const at::Tensor target = at::rand({1, 1, 3, PlaneScene::kHeight, PlaneScene::kWidth}, at::kDouble);
  const at::Tensor pixels = integer_grid();
  const OneHotSamples samples = one_hot_samples(scene, pixels);
  // A source 200 m to the side sees none of the samples.
  PhotometricInputs inputs{target,
                           pixels,
                           samples.points,
                           samples.weights,
                           {{target, scene.intrinsics, PlaneScene::camera_from_ego(200.0), {}}}};
  PhotometricOptions options;
  options.automask = false;
  const PhotometricResult result = photometric_loss(inputs, options);
  EXPECT_NEAR(result.per_ray.min().item<double>(), 1e3, 1e-9);
  options.automask = true;  // the identity reprojection (the target itself) then wins with 0
  EXPECT_NEAR(photometric_loss(inputs, options).loss.item<double>(), 0.0, 1e-12);
}

// colour(Y, Z) on the plane x = 10, smooth so that depth errors change the
// loss smoothly.
at::Tensor plane_image(double camera_y) {
  at::Tensor image = at::empty({1, 1, 3, PlaneScene::kHeight, PlaneScene::kWidth}, at::kFloat);
  for (int64_t v = 0; v < PlaneScene::kHeight; ++v)
    for (int64_t u = 0; u < PlaneScene::kWidth; ++u) {
      // Camera x = -ego y, camera y = -ego z.
      const double y = camera_y - (static_cast<double>(u) - 19.5) * PlaneScene::kDepth / PlaneScene::kFocal;
      const double z = -(static_cast<double>(v) - 11.5) * PlaneScene::kDepth / PlaneScene::kFocal;
      for (int64_t c = 0; c < 3; ++c)
        image[0][0][c][v][u] =
            0.5 + 0.3 * std::sin(0.9 * y + 0.7 * static_cast<double>(c)) + 0.15 * std::cos(0.8 * z);
    }
  return image;
}

TEST(PhotometricLoss, OneGradientStepMovesAWrongDepthPlaneTowardsTheTrueOne) {
  PlaneScene scene;
  const render::VolumeBox box = render::VolumeBox::from_cells({0, -12, -8}, {16, 12, 8}, {32, 24, 16});
  const at::Tensor intrinsics = scene.intrinsics.to(at::kFloat), pose = scene.pose.to(at::kFloat);
  const at::Tensor pixels =
      render::ray_grid_pixels(1, PlaneScene::kHeight, PlaneScene::kWidth, 8, 10, render::make_generator(4));
  const render::CameraRays rays = render::camera_rays(pixels, intrinsics, pose, box);
  const render::RaySamples samples =
      render::stratified_samples(rays.origins, rays.directions, rays.near, rays.far, 128,
                                 render::ray_jitter(1, 1, 80, render::make_generator(5)));
  const at::Tensor vertex_x = test::vertex_points(box).select(-1, 0).to(at::kFloat).unsqueeze(0).unsqueeze(0);
  const at::Tensor inv_s = at::full({}, std::exp(2.0), at::kFloat);
  const at::Tensor target = plane_image(0.0);
  const std::vector<PhotometricSource> sources = {
      {plane_image(1.0), intrinsics, PlaneScene::camera_from_ego(1.0).to(at::kFloat), {}},
      {plane_image(-1.0), intrinsics, PlaneScene::camera_from_ego(-1.0).to(at::kFloat), {}}};
  const auto mean_depth_error = [&](double plane_x) {
    const render::RenderOutput out = render::render_fused({plane_x - vertex_x, {}}, box, samples, inv_s, 1.0);
    return (render::z_depth(out.distance, rays.z_per_distance) - PlaneScene::kDepth)
        .abs()
        .mean()
        .item<double>();
  };
  const at::Tensor points =
      (samples.origins.unsqueeze(2) + samples.t.unsqueeze(-1) * samples.directions.unsqueeze(2))
          .reshape({1, 1, 8, 10, 128, 3});
  for (const double start : {9.0, 11.0}) {
    const at::Tensor plane_x = at::full({}, start, at::kFloat).requires_grad_(true);
    const render::RenderOutput out = render::render_fused({plane_x - vertex_x, {}}, box, samples, inv_s, 1.0);
    const PhotometricInputs inputs{target, pixels.unsqueeze(1), points,
                                   out.weights.reshape({1, 1, 8, 10, 128}), sources};
    photometric_loss(inputs, PhotometricOptions{}).loss.backward();
    const double gradient = plane_x.grad().item<double>();
    ASSERT_NE(gradient, 0.0);
    // A step of 0.3 m along the negative gradient.
    const double moved = start - 0.3 * gradient / std::abs(gradient);
    EXPECT_LT(mean_depth_error(moved), mean_depth_error(start))
        << "from " << start << ", gradient " << gradient;
  }
}

TEST(PhotometricLoss, RejectsMismatchedInputs) {
  PlaneScene scene;
  const at::Tensor target = at::rand({1, 1, 3, PlaneScene::kHeight, PlaneScene::kWidth}, at::kDouble);
  const at::Tensor pixels = integer_grid();
  const OneHotSamples samples = one_hot_samples(scene, pixels);
  PhotometricInputs inputs{target, pixels, samples.points, samples.weights, {}};
  EXPECT_THROW(photometric_loss(inputs, PhotometricOptions{}), UsageError);  // no source
  inputs.sources.push_back({target.narrow(4, 0, 20), scene.intrinsics, PlaneScene::camera_from_ego(1.0), {}});
  EXPECT_THROW(photometric_loss(inputs, PhotometricOptions{}), UsageError);
}

}  // namespace
}  // namespace occ::losses
