// Focal occupancy loss: hand-computed values (gamma 2, alpha 0.25), the direct
// formula on random logits, the mask, the [B, 1, ...] head layout, gradients.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include <vector>

#include "core/error.h"
#include "losses/occupancy_losses.h"

namespace occ::losses {
namespace {

// Class ids as an int64 tensor (a braced list of ints is ambiguous for at::tensor).
at::Tensor class_ids(std::vector<int64_t> ids) {
  return at::tensor(ids);
}

constexpr int64_t kFree = 17;

// -alpha_t (1 - p_t)^gamma log(p_t), written out for one voxel.
double focal_by_hand(double logit, bool occupied, double gamma, double alpha) {
  const double p = 1.0 / (1.0 + std::exp(-logit));
  const double p_t = occupied ? p : 1.0 - p;
  const double alpha_t = occupied ? alpha : 1.0 - alpha;
  return -alpha_t * std::pow(1.0 - p_t, gamma) * std::log(p_t);
}

TEST(FocalOccupancyLoss, HandComputedValues) {
  // logit 0, occupied: p_t 1/2, 0.25 * (1/2)^2 * ln 2 = 0.04332169878499658
  // logit 0, free:     0.75 * (1/2)^2 * ln 2          = 0.12996509635498974
  // logit ln 3, occupied: p 3/4, 0.25 * (1/4)^2 * -ln(3/4) = 0.004495033...
  const auto logits = at::tensor({0.0, 0.0, std::log(3.0)}, at::kDouble).reshape({1, 3}).requires_grad_(true);
  const auto target = class_ids({4, kFree, 0}).reshape({1, 3});
  const double expected = (0.04332169878499658 + 0.12996509635498974 + 0.25 / 16.0 * -std::log(0.75)) / 3.0;
  const auto loss = focal_occupancy_loss(logits, target, kFree);
  EXPECT_EQ(loss.dim(), 0);
  EXPECT_NEAR(loss.item<double>(), expected, 1e-12);
  EXPECT_NEAR(loss.item<double>(), 0.059260609174015, 1e-12);

  // d/dx of -alpha (1 - p)^2 log p at x = 0 (p = 1/2, dp/dx = 1/4):
  // -alpha (2 (1 - p) dp/dx (-log p) + (1 - p)^2 dp/dx / p) = -alpha (ln 2 / 4 + 1 / 8);
  // the free voxel mirrors it with 1 - alpha. Each is divided by the 3 voxels.
  loss.backward();
  const double slope = std::log(2.0) / 4.0 + 1.0 / 8.0;
  const auto grad = logits.grad();
  EXPECT_NEAR(grad[0][0].item<double>(), -0.25 * slope / 3.0, 1e-12);
  EXPECT_NEAR(grad[0][1].item<double>(), 0.75 * slope / 3.0, 1e-12);
  EXPECT_LT(grad[0][2].item<double>(), 0.0);
}

TEST(FocalOccupancyLoss, MatchesDirectFormula) {
  at::manual_seed(8);
  const auto logits = at::randn({2, 4, 3, 2}, at::kDouble) * 3.0;
  const auto target = at::randint(0, 18, {2, 4, 3, 2}, at::kLong);
  for (const double gamma : {0.0, 1.0, 2.0}) {
    for (const double alpha : {0.25, 0.5}) {
      double sum = 0.0;
      const auto flat_logits = logits.reshape({-1});
      const auto flat_target = target.reshape({-1});
      for (int64_t i = 0; i < flat_logits.numel(); ++i)
        sum += focal_by_hand(flat_logits[i].item<double>(), flat_target[i].item<int64_t>() != kFree, gamma,
                             alpha);
      EXPECT_NEAR(focal_occupancy_loss(logits, target, kFree, {}, gamma, alpha).item<double>(),
                  sum / static_cast<double>(flat_logits.numel()), 1e-12)
          << "gamma " << gamma << " alpha " << alpha;
    }
  }
}

TEST(FocalOccupancyLoss, MaskWeightsTheMean) {
  const auto logits = at::tensor({0.0, 0.0, 5.0}, at::kDouble).reshape({1, 3});
  const auto target = class_ids({4, kFree, kFree}).reshape({1, 3});
  const auto mask = at::tensor({1.0f, 1.0f, 0.0f}).reshape({1, 3});
  EXPECT_NEAR(focal_occupancy_loss(logits, target, kFree, mask).item<double>(),
              (0.04332169878499658 + 0.12996509635498974) / 2.0, 1e-12);
  EXPECT_EQ(focal_occupancy_loss(logits, target, kFree, at::zeros({1, 3})).item<double>(), 0.0);
}

TEST(FocalOccupancyLoss, AcceptsOneChannelHeadAndGivesGradients) {
  at::manual_seed(9);
  const auto logits = at::randn({2, 1, 4, 4, 2}).requires_grad_(true);
  const auto target = at::randint(0, 18, {2, 4, 4, 2}, at::kLong);
  const auto loss = focal_occupancy_loss(logits, target, kFree);
  EXPECT_NEAR(loss.item<float>(), focal_occupancy_loss(logits.squeeze(1), target, kFree).item<float>(), 1e-7);
  loss.backward();
  ASSERT_TRUE(logits.grad().defined());
  EXPECT_TRUE(logits.grad().isfinite().all().item<bool>());
  EXPECT_GT(logits.grad().abs().sum().item<float>(), 0.0f);
  // Saturated logits stay finite (the cross-entropy is taken from the logit).
  const auto extreme = at::tensor({-200.0f, 200.0f}).reshape({1, 2}).requires_grad_(true);
  const auto extreme_target = class_ids({0, kFree}).reshape({1, 2});
  const auto extreme_loss = focal_occupancy_loss(extreme, extreme_target, kFree);
  EXPECT_TRUE(std::isfinite(extreme_loss.item<float>()));
  extreme_loss.backward();
  EXPECT_TRUE(extreme.grad().isfinite().all().item<bool>());
}

TEST(FocalOccupancyLoss, RejectsBadArguments) {
  const auto logits = at::randn({1, 4});
  const auto target = at::zeros({1, 4}, at::kLong);
  EXPECT_THROW(focal_occupancy_loss(at::randn({1, 5}), target, kFree), UsageError);
  EXPECT_THROW(focal_occupancy_loss(logits, target, kFree, at::ones({4})), UsageError);
  EXPECT_THROW(focal_occupancy_loss(logits, target, kFree, {}, -1.0), UsageError);
  EXPECT_THROW(focal_occupancy_loss(logits, target, kFree, {}, 2.0, 1.5), UsageError);
}

}  // namespace
}  // namespace occ::losses
