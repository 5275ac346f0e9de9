// Eikonal and Hessian terms (zero for an exact distance field, known values
// otherwise), sparsity, edge-aware smoothness, SILog, the loss configuration
// and the weighted total of Eq. 12.
#include "losses/sdf_regularisers.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "losses/flow_loss.h"
#include "losses/lidar_silog.h"
#include "losses/photometric_loss.h"
#include "losses/self_supervised_config.h"
#include "losses/self_supervised_total.h"
#include "losses/smoothness.h"
#include "render/fields.h"
#include "render/neus_rendering.h"
#include "render/render_config.h"
#include "render/render_test_scenes.h"

namespace occ::losses {
namespace {

namespace test = render::test;

const render::VolumeBox kBox = render::VolumeBox::from_cells({-2, -3, -1}, {2, 3, 1}, {8, 12, 8});

// n . p - 0.3 with a unit normal n: an exact distance field.
at::Tensor oblique_plane(double scale) {
  const at::Tensor normal = at::tensor({1.0, 2.0, -0.5}, at::kDouble) / std::sqrt(5.25);
  return ((test::vertex_points(kBox) * normal).sum(-1) * scale - 0.3).unsqueeze(0).unsqueeze(0);
}

TEST(EikonalAndHessian, VanishForAnExactDistanceField) {
  const at::Tensor sdf = oblique_plane(1.0);
  const at::Tensor grid_gradients = render::sdf_gradient_volume(sdf, kBox);
  // Per-sample gradients at points inside the interior cells.
  const at::Tensor points =
      (at::rand({1, 50, 3}, at::kDouble) - 0.5) * at::tensor({3.0, 5.0, 1.4}, at::kDouble);
  const at::Tensor sample_gradients = render::sample_volume(grid_gradients, kBox, points);
  EXPECT_NEAR(eikonal_loss(grid_gradients, sample_gradients).item<double>(), 0.0, 1e-20);
  EXPECT_NEAR(hessian_loss(sdf, kBox).item<double>(), 0.0, 1e-10);
  // Twice the distance: |grad| = 2, (2 - 1)^2 = 1 everywhere; still linear.
  const at::Tensor doubled = oblique_plane(2.0);
  EXPECT_NEAR(eikonal_loss(render::sdf_gradient_volume(doubled, kBox), {}).item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(hessian_loss(doubled, kBox).item<double>(), 0.0, 1e-10);
}

TEST(Hessian, MeanOfTheSixSecondDifferences) {
  // s = x^2 + x y: H_xx = 2, H_xy = 1, the other four 0 -> mean |H| = 3 / 6.
  const at::Tensor p = test::vertex_points(kBox);
  const at::Tensor x = p.select(-1, 0), y = p.select(-1, 1);
  const at::Tensor sdf = (x * x + x * y).unsqueeze(0).unsqueeze(0);
  EXPECT_NEAR(hessian_loss(sdf, kBox).item<double>(), 0.5, 1e-10);
  EXPECT_THROW(hessian_loss(sdf.narrow(2, 0, 2), kBox), UsageError);
}

TEST(Sparsity, PenalisesNegativeSdfOnlyAndOnlyBeyondTheDepth) {
  EXPECT_NEAR(sparsity_loss(at::tensor({0.5, -0.2, -0.4, 1.0}, at::kDouble)).item<double>(), 0.15, 1e-12);
  // One ray, distance 2: samples beyond 2 + 3 m are t = 6 and 8.
  const at::Tensor t = at::tensor({1.0, 4.0, 6.0, 8.0}, at::kDouble).reshape({1, 4});
  const at::Tensor sdf = at::tensor({-1.0, -1.0, -0.5, 0.2}, at::kDouble).reshape({1, 4});
  const at::Tensor distance = at::tensor({2.0}, at::kDouble);
  EXPECT_NEAR(beyond_depth_sparsity_loss(sdf, t, distance, 3.0).item<double>(), 0.25, 1e-12);
  EXPECT_EQ(beyond_depth_sparsity_loss(sdf, t, distance + 10.0, 3.0).item<double>(), 0.0);
}

TEST(Smoothness, EdgeAwareOnDisparityAndFlow) {
  const at::Tensor flat_colour = at::full({1, 1, 4, 6, 3}, 0.5, at::kDouble);
  const at::Tensor constant = at::full({1, 1, 4, 6}, 7.0, at::kDouble);
  EXPECT_NEAR(disparity_smoothness(constant, flat_colour).item<double>(), 0.0, 1e-12);
  // A depth step between columns 2 and 3: 1 of 5 x-differences per row.
  at::Tensor step = constant.clone();
  step.narrow(3, 3, 3).fill_(14.0);
  // disparity 1/7 and 1/14, mean 1.5/14: normalised 4/3 and 2/3, jump 2/3.
  const double plain = disparity_smoothness(step, flat_colour).item<double>();
  EXPECT_NEAR(plain, (2.0 / 3.0) / 5.0, 1e-6);
  // The same step on a colour edge costs exp(-1) of it.
  at::Tensor edge_colour = flat_colour.clone();
  edge_colour.narrow(3, 3, 3).fill_(1.5);
  EXPECT_NEAR(disparity_smoothness(step, edge_colour).item<double>(), plain * std::exp(-1.0), 1e-6);
  at::Tensor flow = at::zeros({1, 1, 4, 6, 2}, at::kDouble);
  flow.select(-1, 0).narrow(3, 3, 3).fill_(2.0);
  // 2 px jump in one of two channels, 1 of 5 differences: 2 / 10.
  EXPECT_NEAR(flow_smoothness(flow, flat_colour).item<double>(), 0.2, 1e-12);
}

TEST(Silog, ZeroForExactRangesAndScaleInvariantOtherwise) {
  const at::Tensor target = at::tensor({2.0, 5.0, 10.0, 0.0}, at::kDouble);
  EXPECT_NEAR(silog_loss(target.clamp_min(1.0), target, {}, 0.85).item<double>(), 0.0, 1e-5);
  // A global factor 2: d = log 2 everywhere -> sqrt(0.15) log 2.
  EXPECT_NEAR(silog_loss(target * 2.0, target, {}, 0.85).item<double>(), std::sqrt(0.15) * std::log(2.0),
              1e-12);
  const at::Tensor valid = at::tensor({1, 1, 0, 0}).to(at::kBool);
  const at::Tensor predicted = at::tensor({2.0, 10.0, 1.0, 1.0}, at::kDouble);
  // d = (0, log 2): mean d^2 = log^2 2 / 2, mean d = log 2 / 2.
  const double l = std::log(2.0);
  EXPECT_NEAR(silog_loss(predicted, target, valid, 0.85).item<double>(),
              std::sqrt(l * l / 2 - 0.85 * l * l / 4), 1e-12);
}

TEST(LossConfig, ReferenceDefaultsRoundTripAndKeyErrors) {
  const LossConfig defaults;
  EXPECT_EQ(defaults.flow_weight, 0.005);
  EXPECT_EQ(defaults.eikonal_weight, 0.1);
  const LossConfig parsed = LossConfig::from_json(defaults.to_json());
  EXPECT_EQ(parsed.to_json(), defaults.to_json());
  auto config = defaults.to_json();
  config["loss.eikonal"] = 0.1;
  try {
    LossConfig::from_json(config);
    FAIL() << "an unknown key was accepted";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("'model.loss.eikonal'"), std::string::npos) << error.what();
  }
  config = defaults.to_json();
  config["loss.silog_lambda"] = 2.0;
  EXPECT_THROW(LossConfig::from_json(config), UsageError);
  // The per-loss option structs carry the same defaults.
  EXPECT_EQ(photometric_options(defaults).ssim_weight, PhotometricOptions{}.ssim_weight);
  EXPECT_EQ(photometric_options(defaults).invalid_loss, PhotometricOptions{}.invalid_loss);
  EXPECT_EQ(flow_loss_options(defaults).outlier_max, FlowLossOptions{}.outlier_max);
  EXPECT_EQ(flow_loss_options(defaults).outlier_floor, FlowLossOptions{}.outlier_floor);
  EXPECT_EQ(flow_loss_options(defaults).min_sample_weight, FlowLossOptions{}.min_sample_weight);
  nlohmann::json model = defaults.to_json();
  model.update(render::RenderConfig().to_json());
  EXPECT_NO_THROW(LossConfig::from_json(render::select_keys(model, "loss.")));
}

// The paper's 8 px dynamic threshold is at its 704 px wide renders: 2 px at
// the synthetic world's 176 px input (as occ flow-labels scales it), and the
// threshold as given when loss.dynamic_threshold_width is 0.
TEST(LossConfig, DynamicThresholdIsScaledToTheInputWidth) {
  LossConfig config;
  EXPECT_EQ(config.dynamic_threshold_width, 704.0);
  EXPECT_NEAR(dynamic_threshold_px_at(config, 176), 2.0, 1e-12);
  EXPECT_NEAR(dynamic_threshold_px_at(config, 704), 8.0, 1e-12);
  EXPECT_NEAR(dynamic_threshold_px_at(config, 1408), 16.0, 1e-12);
  config.dynamic_threshold_width = 0;
  EXPECT_EQ(dynamic_threshold_px_at(config, 176), 8.0);
  auto json = LossConfig().to_json();
  json["loss.dynamic_threshold_width"] = 352.0;
  EXPECT_NEAR(dynamic_threshold_px_at(LossConfig::from_json(json), 176), 4.0, 1e-12);
  json["loss.dynamic_threshold_width"] = -1.0;
  EXPECT_THROW(LossConfig::from_json(json), UsageError);
}

TEST(SelfSupervisedTotal, WeightedNamedTermsOfEquationTwelve) {
  SelfSupervisedTerms terms;
  terms.photometric = at::full({}, 0.5, at::kDouble);
  terms.flow = at::full({}, 10.0, at::kDouble);
  terms.eikonal = at::full({}, 2.0, at::kDouble);
  const LossConfig config;
  const auto weighted = self_supervised_terms(terms, config);
  ASSERT_EQ(weighted.size(), 3u);
  EXPECT_EQ(weighted[0].first, "photometric");
  EXPECT_EQ(weighted[1].first, "flow");
  EXPECT_NEAR(weighted[1].second.item<double>(), 0.05, 1e-15);
  EXPECT_EQ(weighted[2].first, "eikonal");
  EXPECT_NEAR(self_supervised_total(terms, config).item<double>(), 0.5 + 0.05 + 0.2, 1e-12);
  EXPECT_THROW(self_supervised_total(SelfSupervisedTerms{}, config), UsageError);
}

}  // namespace
}  // namespace occ::losses
