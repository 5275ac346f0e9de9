// NeuS rendering on hand-made fields: an opaque plane, a sphere seen by a
// pinhole camera, camera order; the fused kernel against the reference
// (forward and backward) and both against finite differences in double.
#include "render/neus_rendering.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/autograd.h>

#include <cmath>
#include <functional>
#include <vector>

#include "core/error.h"
#include "render/neus_variance.h"
#include "render/rays.h"
#include "render_test_scenes.h"

namespace occ::render {
namespace {

using Renderer = std::function<RenderOutput(const FieldVolumes&, const VolumeBox&, const RaySamples&,
                                            const at::Tensor&, double)>;

const std::vector<std::pair<const char*, Renderer>>& renderers() {
  static const std::vector<std::pair<const char*, Renderer>> all = {{"reference", render_reference},
                                                                    {"fused", render_fused}};
  return all;
}

// inv_s = exp(10 v).
at::Tensor inv_s_of(double v) {
  return at::full({}, std::exp(10.0 * v), at::kFloat);
}

TEST(NeuSRendering, OpaquePlaneWeightsPeakAtItsDepthAndSumToAtMostOne) {
  const VolumeBox box = VolumeBox::from_cells({0, -4, -4}, {20, 4, 4}, {40, 16, 16});
  const at::Tensor sdf = test::plane_sdf(box, 12.0);
  // Three rays from x = 0.5 towards the plane, head-on and oblique.
  const at::Tensor origins =
      at::tensor({0.5f, 0.2f, -0.3f}).reshape({1, 1, 3}).expand({1, 3, 3}).contiguous();
  at::Tensor directions =
      at::tensor({1.0f, 0.0f, 0.0f, 0.9f, 0.25f, 0.1f, 0.8f, -0.2f, 0.25f}).reshape({1, 3, 3});
  directions = directions / directions.norm(2, -1, true);
  const RayInterval interval = box_interval(origins, directions, box);
  const RaySamples samples =
      stratified_samples(origins, directions, interval.near, interval.far, 256, at::full({1, 3}, 0.3));
  for (const auto& [name, render] : renderers()) {
    const RenderOutput out = render({sdf, {}}, box, samples, inv_s_of(0.6), 1.0);
    for (int64_t ray = 0; ray < 3; ++ray) {
      const double plane_distance = 11.5 / directions[0][ray][0].item<double>();
      const int64_t peak = out.weights[0][ray].argmax().item<int64_t>();
      const double spacing = samples.deltas[0][ray][peak].item<double>();
      EXPECT_NEAR(samples.t[0][ray][peak].item<double>(), plane_distance, spacing) << name << " ray " << ray;
      EXPECT_LE(out.opacity[0][ray].item<double>(), 1.0 + 1e-6) << name;
      EXPECT_GT(out.opacity[0][ray].item<double>(), 0.99) << name;
      EXPECT_NEAR(out.distance[0][ray].item<double>(), plane_distance, spacing) << name << " ray " << ray;
      EXPECT_GE(out.weights.min().item<double>(), 0.0);
    }
  }
}

TEST(NeuSRendering, SphereRendersItsAnalyticDepthForEveryRay) {
  // A sphere of radius 3 m centred 8 m ahead of a camera at the ego origin.
  const VolumeBox box = VolumeBox::from_cells({-2, -6, -6}, {14, 6, 6}, {80, 60, 60});
  const std::array<double, 3> centre{8.0, 0.5, -0.3};
  const double radius = 3.0;
  const at::Tensor sdf = test::sphere_sdf(box, centre, radius);
  const at::Tensor intrinsics = test::pinhole(100.0, 32.0, 24.0).reshape({1, 1, 3, 3}).to(at::kFloat);
  const at::Tensor pose = test::forward_camera({0.0, 0.0, 0.0}).reshape({1, 1, 4, 4}).to(at::kFloat);
  std::vector<float> grid;
  for (int64_t row = 0; row < 6; ++row)
    for (int64_t col = 0; col < 6; ++col) {
      grid.push_back(22.0f + 4.0f * static_cast<float>(col));
      grid.push_back(14.0f + 4.0f * static_cast<float>(row));
    }
  const at::Tensor pixels = at::tensor(grid).reshape({1, 6, 6, 2});
  const CameraRays rays = camera_rays(pixels, intrinsics, pose, box);
  const RaySamples samples = stratified_samples(rays.origins, rays.directions, rays.near, rays.far, 512,
                                                ray_jitter(1, 1, 36, make_generator(3)));
  // Analytic: o + t d meets the sphere at t = d.(c - o) - sqrt((d.(c - o))^2 - |c - o|^2 + r^2).
  const at::Tensor to_centre = at::tensor({centre[0], centre[1], centre[2]}).to(at::kFloat) - rays.origins;
  const at::Tensor along = (to_centre * rays.directions).sum(-1);
  const at::Tensor t_hit = along - (along.square() - to_centre.square().sum(-1) + radius * radius).sqrt();
  const at::Tensor z_true = t_hit * rays.z_per_distance;
  for (const auto& [name, render] : renderers()) {
    const RenderOutput out = render({sdf, {}}, box, samples, inv_s_of(0.8), 1.0);
    const at::Tensor z = z_depth(out.distance, rays.z_per_distance);
    EXPECT_LT((z - z_true).abs().max().item<double>(), 0.05) << name;
    EXPECT_GT(out.opacity.min().item<double>(), 0.99) << name;
  }
}

TEST(NeuSRendering, DoesNotDependOnCameraOrder) {
  const VolumeBox box = VolumeBox::from_cells({-2, -8, -4}, {14, 8, 4}, {32, 32, 16});
  const at::Tensor sdf = test::sphere_sdf(box, {8.0, 1.0, 0.0}, 2.5);
  const at::Tensor camera = test::pinhole(40.0, 16.0, 12.0).to(at::kFloat);
  const at::Tensor a = test::forward_camera({0.0, 0.5, 0.2}, 0.1).to(at::kFloat);
  const at::Tensor b = test::forward_camera({1.0, -2.0, 0.0}, 0.3).to(at::kFloat);
  const auto render_with = [&](const at::Tensor& first, const at::Tensor& second) {
    const at::Tensor intrinsics = at::stack({camera, camera}).unsqueeze(0);
    const at::Tensor poses = at::stack({first, second}).unsqueeze(0);
    // The same seeds for both orders: pattern and jitter are per pixel.
    const at::Tensor pixels = ray_grid_pixels(1, 24, 32, 4, 6, make_generator(11));
    const CameraRays rays = camera_rays(pixels, intrinsics, poses, box);
    const RaySamples samples = stratified_samples(rays.origins, rays.directions, rays.near, rays.far, 64,
                                                  ray_jitter(1, 2, 24, make_generator(12)));
    return render_fused({sdf, {}}, box, samples, inv_s_of(0.3), 0.4).distance.reshape({2, 24});
  };
  const at::Tensor ab = render_with(a, b), ba = render_with(b, a);
  EXPECT_TRUE(at::allclose(ab[0], ba[1], 0.0, 1e-6));
  EXPECT_TRUE(at::allclose(ab[1], ba[0], 0.0, 1e-6));
  EXPECT_FALSE(at::allclose(ab[0], ab[1], 0.0, 1e-3));  // the cameras do see different depths
}

TEST(NeuSRendering, LidarRaysRenderTheRangeOfTheirPoints) {
  // A wall at x = 12 m seen by a LiDAR 1.8 m up; points on the wall.
  const VolumeBox box = VolumeBox::from_cells({-2, -8, -2}, {18, 8, 6}, {40, 32, 16});
  const at::Tensor sdf = test::plane_sdf(box, 12.0);
  at::manual_seed(2);
  const at::Tensor on_wall =
      at::stack({at::full({1, 20}, 12.0), at::rand({1, 20}) * 10.0 - 5.0, at::rand({1, 20}) * 5.0 - 1.0}, -1);
  const LidarRays rays = lidar_rays(on_wall, at::tensor({0.0f, 0.0f, 1.8f}).reshape({1, 3}), box);
  const RaySamples samples =
      stratified_samples(rays.origins, rays.directions, rays.near, rays.far, 256, at::full({1, 20}, 0.5));
  const RenderOutput out = render_neus({sdf, {}}, box, samples, inv_s_of(0.7), 1.0, /*fused=*/true);
  EXPECT_LT((out.distance - rays.range).abs().max().item<double>(), 0.05);
  EXPECT_TRUE(rays.hit.all().item<bool>());
  EXPECT_EQ(sample_points(samples).sizes(), (at::IntArrayRef{1, 20, 256, 3}));
}

TEST(NeuSVariance, InverseScaleIsExpOfTenV) {
  NeuSVariance variance;
  EXPECT_NEAR(variance->inv_s().item<double>(), std::exp(1.0), 1e-6);
  EXPECT_EQ(variance->parameters().size(), 1u);
  variance->inv_s().backward();
  EXPECT_NEAR(variance->variance.grad().item<double>(), 10.0 * std::exp(1.0), 1e-5);
  variance->set_learnable(false);
  EXPECT_FALSE(variance->inv_s().requires_grad());
  EXPECT_NEAR(cos_anneal_ratio(2500, 5000), 0.5, 1e-12);
  EXPECT_EQ(cos_anneal_ratio(9000, 5000), 1.0);
  EXPECT_EQ(cos_anneal_ratio(3, 0), 1.0);
}

// A smooth random-looking field with flow on a small grid, for the oracle tests.
struct SmallScene {
  VolumeBox box = VolumeBox::from_cells({-1.0, -1.0, -0.5}, {2.0, 1.0, 0.5}, {3, 3, 2});
  at::Tensor sdf, flow, inv_s;
  RaySamples samples;
};

SmallScene small_scene(at::ScalarType dtype, int64_t batch, int64_t rays, int64_t samples, uint64_t seed) {
  SmallScene scene;
  at::manual_seed(static_cast<int64_t>(seed));
  const at::Tensor p = test::vertex_points(scene.box);
  const at::Tensor base =
      (1.2 - p.select(-1, 0)) + 0.3 * at::sin(2.0 * p.select(-1, 1)) + 0.2 * p.select(-1, 2);
  scene.sdf = (base.unsqueeze(0).unsqueeze(0).repeat({batch, 1, 1, 1, 1}) +
               0.05 * at::randn({batch, 1, 4, 4, 3}, at::kDouble))
                  .to(dtype);
  scene.flow = at::randn({batch, 2, 4, 4, 3}, at::kDouble).to(dtype);
  scene.inv_s = at::full({}, 4.0, dtype);
  const at::Tensor origins =
      (at::rand({batch, rays, 3}, at::kDouble) - 0.5) * 0.8 + at::tensor({-0.8, 0.0, 0.0}, at::kDouble);
  at::Tensor directions =
      at::randn({batch, rays, 3}, at::kDouble) * 0.4 + at::tensor({1.0, 0.0, 0.0}, at::kDouble);
  directions = directions / directions.norm(2, -1, true);
  const VolumeBox& box = scene.box;
  const RayInterval interval = box_interval(origins, directions, box);
  scene.samples = stratified_samples(origins.to(dtype), directions.to(dtype), interval.near.to(dtype),
                                     interval.far.to(dtype), samples, at::rand({batch, rays}, at::kDouble));
  return scene;
}

// A scalar of every output, with fixed random weights, so that every output's
// gradient path is exercised.
at::Tensor probe(const RenderOutput& out, uint64_t seed) {
  at::manual_seed(static_cast<int64_t>(seed));
  at::Tensor total = at::zeros({}, out.weights.options());
  for (const at::Tensor* tensor : {&out.weights, &out.distance, &out.opacity, &out.flow, &out.sample_sdf,
                                   &out.sample_gradients, &out.sample_flow}) {
    if (!tensor->defined()) continue;
    total = total + (*tensor * at::randn(tensor->sizes(), at::kDouble).to(tensor->scalar_type())).sum();
  }
  return total;
}

TEST(NeuSFused, ForwardAndGradientsEqualTheReference) {
  for (const double ratio : {1.0, 0.3}) {
    for (const bool with_flow : {true, false}) {
      SmallScene scene = small_scene(at::kFloat, 2, 37, 24, 5);
      std::vector<RenderOutput> outs;
      std::vector<std::vector<at::Tensor>> grads;
      for (const auto& [name, render] : renderers()) {
        const at::Tensor sdf = scene.sdf.detach().requires_grad_(true);
        const at::Tensor flow = scene.flow.detach().requires_grad_(true);
        const at::Tensor inv_s = scene.inv_s.detach().requires_grad_(true);
        const RenderOutput out =
            render({sdf, with_flow ? flow : at::Tensor()}, scene.box, scene.samples, inv_s, ratio);
        probe(out, 9).backward();
        outs.push_back(out);
        grads.push_back({sdf.grad(), with_flow ? flow.grad() : at::Tensor(), inv_s.grad()});
      }
      const RenderOutput &reference = outs[0], &fused = outs[1];
      const auto close = [](const at::Tensor& a, const at::Tensor& b, double atol) {
        return a.defined() == b.defined() && (!a.defined() || at::allclose(a, b, 1e-4, atol));
      };
      EXPECT_TRUE(close(fused.weights, reference.weights, 1e-6)) << ratio;
      EXPECT_TRUE(close(fused.distance, reference.distance, 1e-5)) << ratio;
      EXPECT_TRUE(close(fused.opacity, reference.opacity, 1e-6)) << ratio;
      EXPECT_TRUE(close(fused.flow, reference.flow, 1e-5)) << ratio;
      EXPECT_TRUE(close(fused.sample_sdf, reference.sample_sdf, 1e-6)) << ratio;
      EXPECT_TRUE(close(fused.sample_gradients, reference.sample_gradients, 1e-5)) << ratio;
      EXPECT_TRUE(close(fused.sample_flow, reference.sample_flow, 1e-6)) << ratio;
      EXPECT_TRUE(close(grads[1][0], grads[0][0], 1e-4)) << "sdf " << ratio << " " << with_flow << "\n"
                                                         << (grads[1][0] - grads[0][0]).abs().max();
      EXPECT_TRUE(close(grads[1][1], grads[0][1], 1e-4)) << "flow " << ratio;
      EXPECT_TRUE(close(grads[1][2], grads[0][2], 1e-3))
          << "inv_s " << ratio << " " << grads[1][2] << " " << grads[0][2];
    }
  }
}

TEST(NeuSFused, GradientsAreBitForBitRepeatableAcrossThreadCounts) {
  SmallScene scene = small_scene(at::kFloat, 1, 200, 16, 6);
  const int threads = at::get_num_threads();
  std::vector<at::Tensor> grads;
  for (const int count : {1, 2, 3, 2}) {
    at::set_num_threads(count);
    const at::Tensor sdf = scene.sdf.detach().requires_grad_(true);
    probe(render_fused({sdf, scene.flow}, scene.box, scene.samples, scene.inv_s, 0.5), 2).backward();
    grads.push_back(sdf.grad());
  }
  at::set_num_threads(threads);
  for (size_t run = 1; run < grads.size(); ++run) EXPECT_TRUE(at::equal(grads[0], grads[run])) << run;
}

// Central finite differences in double of probe() w.r.t. every entry of the
// sdf and flow volumes and inv_s, against autograd.
void expect_finite_differences(const Renderer& render, const char* name, double ratio) {
  SmallScene scene = small_scene(at::kDouble, 1, 5, 7, 8);
  const at::Tensor sdf = scene.sdf.detach().requires_grad_(true);
  const at::Tensor flow = scene.flow.detach().requires_grad_(true);
  const at::Tensor inv_s = scene.inv_s.detach().requires_grad_(true);
  probe(render({sdf, flow}, scene.box, scene.samples, inv_s, ratio), 4).backward();
  const auto value = [&](const at::Tensor& s, const at::Tensor& f, const at::Tensor& v) {
    torch::NoGradGuard no_grad;
    return probe(render({s, f}, scene.box, scene.samples, v, ratio), 4).item<double>();
  };
  const double eps = 1e-6;
  const std::vector<std::pair<at::Tensor, at::Tensor>> inputs = {
      {scene.sdf, sdf.grad()}, {scene.flow, flow.grad()}, {scene.inv_s, inv_s.grad()}};
  for (size_t input = 0; input < inputs.size(); ++input) {
    const at::Tensor base = inputs[input].first.flatten();
    const at::Tensor analytic = inputs[input].second.flatten();
    double worst = 0.0;
    for (int64_t i = 0; i < base.numel(); ++i) {
      at::Tensor plus = base.clone(), minus = base.clone();
      plus[i] += eps;
      minus[i] -= eps;
      const auto shaped = [&](const at::Tensor& x) { return x.reshape(inputs[input].first.sizes()); };
      at::Tensor args_plus[3] = {scene.sdf, scene.flow, scene.inv_s},
                 args_minus[3] = {scene.sdf, scene.flow, scene.inv_s};
      args_plus[input] = shaped(plus);
      args_minus[input] = shaped(minus);
      const double numeric = (value(args_plus[0], args_plus[1], args_plus[2]) -
                              value(args_minus[0], args_minus[1], args_minus[2])) /
                             (2.0 * eps);
      const double error = std::abs(numeric - analytic[i].item<double>()) / std::max(1.0, std::abs(numeric));
      worst = std::max(worst, error);
    }
    EXPECT_LT(worst, 1e-6) << name << " input " << input << " ratio " << ratio;
  }
}

TEST(NeuSFused, FiniteDifferenceGradientCheckInDouble) {
  for (const double ratio : {1.0, 0.4}) expect_finite_differences(render_fused, "fused", ratio);
}

TEST(NeuSReference, FiniteDifferenceGradientCheckInDouble) {
  expect_finite_differences(render_reference, "reference", 0.4);
}

TEST(NeuSRendering, RejectsMismatchedInputs) {
  SmallScene scene = small_scene(at::kFloat, 1, 3, 4, 1);
  RaySamples bad = scene.samples;
  bad.deltas = bad.deltas.narrow(2, 0, 2);
  for (const auto& [name, render] : renderers()) {
    EXPECT_THROW(render({scene.sdf, {}}, scene.box, bad, scene.inv_s, 1.0), UsageError) << name;
    EXPECT_THROW(render({scene.sdf.narrow(2, 0, 2), {}}, scene.box, scene.samples, scene.inv_s, 1.0),
                 UsageError)
        << name;
  }
}

}  // namespace
}  // namespace occ::render
