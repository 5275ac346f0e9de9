// GRAND's consistency loss across decoded views: zero for identical one-hot
// views, a hand-computed case, the detached target's gradient, the direct
// formula of GRAND's code on random views, the mask and bad input.
#include "losses/consistency_loss.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"

namespace occ::losses {
namespace {

// Two views of 2 classes on one voxel, [1, 2, 1, 1, 1].
at::Tensor one_voxel(double a, double b) {
  return at::tensor({a, b}, at::kDouble).reshape({1, 2, 1, 1, 1}).requires_grad_(true);
}

TEST(ConsistencyLoss, ZeroForIdenticalOneHotViews) {
  const at::Tensor labels = at::randint(0, 5, {2, 3, 3, 2}, at::kLong);
  const at::Tensor one_hot = at::one_hot(labels, 5).permute({0, 4, 1, 2, 3}).to(at::kFloat);
  for (const double temperature : {0.5, 0.1, 1.0}) {
    EXPECT_EQ(consistency_loss({one_hot, one_hot, one_hot}, temperature).item<double>(), 0.0) << temperature;
  }
}

TEST(ConsistencyLoss, HandComputedTwoViewsTwoClasses) {
  // V1 = (0.8, 0.2), V2 = (0.4, 0.6): mean (0.6, 0.4); T = 0.5 squares it,
  // (0.36, 0.16) / 0.52 = (9/13, 4/13).
  // ||V' - V1||^2 = 2 (0.8 - 9/13)^2 = 2 (1.4/13)^2 = 3.92/169,
  // ||V' - V2||^2 = 2 (3.8/13)^2 = 28.88/169; mean over views 16.4/169.
  const at::Tensor v1 = one_voxel(0.8, 0.2), v2 = one_voxel(0.4, 0.6);
  const at::Tensor loss = consistency_loss({v1, v2}, 0.5);
  EXPECT_EQ(loss.dim(), 0);
  EXPECT_NEAR(loss.item<double>(), 16.4 / 169.0, 1e-14);
  EXPECT_NEAR(loss.item<double>(), 0.09704142011834319, 1e-14);
  // GRAND detaches the sharpened target (THUDM/GRAND, consis_loss), so the
  // gradient is that of a fixed target: d/dV_p = 2 (V_p - V') / (views * voxels).
  loss.backward();
  const double sharp = 9.0 / 13.0;
  EXPECT_NEAR(v1.grad().flatten()[0].item<double>(), 2.0 * (0.8 - sharp) / 2.0, 1e-14);
  EXPECT_NEAR(v1.grad().flatten()[1].item<double>(), 2.0 * (0.2 - (1.0 - sharp)) / 2.0, 1e-14);
  EXPECT_NEAR(v2.grad().flatten()[0].item<double>(), 2.0 * (0.4 - sharp) / 2.0, 1e-14);
  EXPECT_NEAR(v2.grad().flatten()[1].item<double>(), 2.0 * (0.6 - (1.0 - sharp)) / 2.0, 1e-14);
}

// GRAND's consis_loss written out with pow, on softmaxed random views.
double grand_formula(const std::vector<at::Tensor>& views, double temperature) {
  at::Tensor average = at::zeros_like(views[0]);
  for (const auto& view : views) average = average + view;
  average = average / static_cast<double>(views.size());
  const at::Tensor powered = average.pow(1.0 / temperature);
  const at::Tensor sharp = powered / powered.sum(1, /*keepdim=*/true);
  double loss = 0.0;
  for (const auto& view : views) loss += (view - sharp).pow(2).sum(1).mean().item<double>();
  return loss / static_cast<double>(views.size());
}

TEST(ConsistencyLoss, MatchesGrandsFormulaOnRandomViews) {
  at::manual_seed(5);
  std::vector<at::Tensor> views;
  for (int p = 0; p < 3; ++p) views.push_back(at::softmax(at::randn({2, 18, 4, 4, 2}, at::kDouble) * 2.0, 1));
  for (const double temperature : {0.5, 0.25, 1.0, 2.0}) {
    EXPECT_NEAR(consistency_loss(views, temperature).item<double>(), grand_formula(views, temperature), 1e-13)
        << temperature;
  }
  // T = 1 leaves the average as it is.
  EXPECT_NEAR(consistency_loss({views[0], views[1]}, 1.0).item<double>(),
              (views[0] - views[1]).pow(2).sum(1).mean().item<double>() / 4.0, 1e-13);
}

TEST(ConsistencyLoss, SmallTemperatureStaysFinite) {
  // V^(1/T) underflows for T = 0.01 (0.3^100 ~ 5e-53 in float); the
  // log-space sharpening still gives the one-hot limit.
  const at::Tensor view = at::tensor({0.3f, 0.3f, 0.4f}).reshape({1, 3, 1});
  const at::Tensor loss = consistency_loss({view, view}, 0.01);
  EXPECT_TRUE(std::isfinite(loss.item<double>()));
  EXPECT_NEAR(loss.item<double>(), 0.09 + 0.09 + 0.36, 1e-5);
}

TEST(ConsistencyLoss, MaskLeavesVoxelsOut) {
  // Voxel 0: the hand-computed pair; voxel 1: views that disagree strongly.
  const at::Tensor v1 = at::tensor({0.8, 0.0, 0.2, 1.0}, at::kDouble).reshape({1, 2, 2});
  const at::Tensor v2 = at::tensor({0.4, 1.0, 0.6, 0.0}, at::kDouble).reshape({1, 2, 2});
  const at::Tensor keep_first = at::tensor({1.0f, 0.0f}).reshape({1, 2});
  EXPECT_NEAR(consistency_loss({v1, v2}, 0.5, keep_first).item<double>(), 16.4 / 169.0, 1e-14);
  // Both voxels: the mean over voxels. Voxel 1 averages to (0.5, 0.5), which
  // sharpening keeps, so each view is 0.5 away per class: 2 * 0.25 = 0.5.
  EXPECT_NEAR(consistency_loss({v1, v2}, 0.5, at::ones({1, 2})).item<double>(), (16.4 / 169.0 + 0.5) / 2.0,
              1e-14);
  EXPECT_NEAR(consistency_loss({v1, v2}, 0.5).item<double>(), (16.4 / 169.0 + 0.5) / 2.0, 1e-14);
  EXPECT_EQ(consistency_loss({v1, v2}, 0.5, at::zeros({1, 2})).item<double>(), 0.0);

  const at::Tensor leaf = v2.clone().requires_grad_(true);
  consistency_loss({v1, leaf}, 0.5, keep_first).backward();
  EXPECT_EQ(leaf.grad().select(2, 1).abs().sum().item<double>(), 0.0) << "no gradient from a masked voxel";
  EXPECT_NE(leaf.grad().select(2, 0).abs().sum().item<double>(), 0.0);
}

TEST(ConsistencyLoss, BadInputIsAUsageError) {
  const at::Tensor view = at::full({1, 2, 3, 3, 2}, 0.5);
  EXPECT_THROW(consistency_loss({}, 0.5), UsageError);
  EXPECT_THROW(consistency_loss({view, view}, 0.0), UsageError);
  EXPECT_THROW(consistency_loss({view, at::full({1, 2, 3, 3, 1}, 0.5)}, 0.5), UsageError);
  EXPECT_THROW(consistency_loss({view, view}, 0.5, at::ones({1, 2, 3, 3, 2})), UsageError);
  EXPECT_THROW(consistency_loss({at::ones({4})}, 0.5), UsageError);
  EXPECT_NO_THROW(consistency_loss({view}, 0.5, at::ones({1, 3, 3, 2})));
}

}  // namespace
}  // namespace occ::losses
