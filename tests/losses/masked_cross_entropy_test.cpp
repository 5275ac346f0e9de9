// Masked cross-entropy: a hand-computed case, parity with at::cross_entropy,
// the mask leaving voxels out, gradients and argument errors.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <vector>

#include "core/error.h"
#include "losses/occupancy_losses.h"

namespace occ::losses {
namespace {

// Class ids as an int64 tensor (a braced list of ints is ambiguous for at::tensor).
at::Tensor class_ids(std::vector<int64_t> ids) {
  return at::tensor(ids);
}

// Two voxels, two classes: logits [0, 0] with target 0 and [2, 0] with target
// 1 give -log(1/2) = ln 2 and -log(1 / (e^2 + 1)) = ln(1 + e^2).
struct TwoVoxels {
  at::Tensor logits = at::tensor({0.0, 2.0, 0.0, 0.0}, at::kDouble).reshape({1, 2, 2}).requires_grad_(true);
  at::Tensor target = class_ids({0, 1}).reshape({1, 2});
  double first = std::log(2.0);
  double second = std::log(1.0 + std::exp(2.0));
};

TEST(MaskedCrossEntropy, HandComputedTwoVoxels) {
  TwoVoxels v;
  const auto loss = masked_cross_entropy(v.logits, v.target, at::ones({1, 2}));
  EXPECT_EQ(loss.dim(), 0);
  EXPECT_NEAR(loss.item<double>(), (v.first + v.second) / 2.0, 1e-12);
  EXPECT_NEAR(masked_cross_entropy(v.logits, v.target, {}).item<double>(), (v.first + v.second) / 2.0, 1e-12);

  // d/dlogits of the mean: (softmax - onehot) / 2.
  loss.backward();
  const double e2 = std::exp(2.0);
  const auto expected =
      at::tensor({(0.5 - 1.0) / 2, (e2 / (e2 + 1)) / 2, 0.5 / 2, (1 / (e2 + 1) - 1.0) / 2}, at::kDouble)
          .reshape({1, 2, 2});
  EXPECT_TRUE(at::allclose(v.logits.grad(), expected, 1e-12, 1e-12)) << v.logits.grad();
}

TEST(MaskedCrossEntropy, MaskZerosExcludeVoxels) {
  TwoVoxels v;
  const auto mask = at::tensor({1.0f, 0.0f}).reshape({1, 2});
  const auto loss = masked_cross_entropy(v.logits, v.target, mask);
  // Averaged over mask.sum() = 1: only the first voxel counts.
  EXPECT_NEAR(loss.item<double>(), v.first, 1e-12);
  loss.backward();
  EXPECT_EQ(v.logits.grad().select(2, 1).abs().sum().item<double>(), 0.0);

  // No visible voxel: 0 (the denominator is clamped to 1), still differentiable.
  const auto none = masked_cross_entropy(v.logits, v.target, at::zeros({1, 2}));
  EXPECT_EQ(none.item<double>(), 0.0);
  EXPECT_TRUE(none.requires_grad());
}

TEST(MaskedCrossEntropy, MatchesAtenCrossEntropyWithAllOnesMask) {
  at::manual_seed(3);
  const auto values = at::randn({2, 18, 5, 4, 3});
  const auto target = at::randint(0, 18, {2, 5, 4, 3}, at::kLong);
  const auto ours_logits = values.clone().requires_grad_(true);
  const auto aten_logits = values.clone().requires_grad_(true);
  const auto ours = masked_cross_entropy(ours_logits, target, at::ones({2, 5, 4, 3}));
  const auto aten = at::cross_entropy_loss(aten_logits, target);
  EXPECT_NEAR(ours.item<float>(), aten.item<float>(), 1e-5);
  ours.backward();
  aten.backward();
  EXPECT_TRUE(at::allclose(ours_logits.grad(), aten_logits.grad(), 1e-5, 1e-7));
}

TEST(MaskedCrossEntropy, MaskedMeanMatchesCrossEntropyOfTheVisibleVoxels) {
  at::manual_seed(4);
  const auto logits = at::randn({1, 4, 30});
  const auto target = at::randint(0, 4, {1, 30}, at::kLong);
  const auto mask = at::rand({1, 30}).gt(0.4).to(at::kFloat);
  const auto visible = mask.reshape({-1}).nonzero().squeeze(1);
  // at::cross_entropy on only the visible voxels, as [N, C] rows.
  const auto rows = logits.reshape({4, 30}).t().index_select(0, visible);
  const auto expected = at::cross_entropy_loss(rows, target.reshape({-1}).index_select(0, visible));
  EXPECT_NEAR(masked_cross_entropy(logits, target, mask).item<float>(), expected.item<float>(), 1e-5);
}

TEST(MaskedCrossEntropy, ClassWeightsByHand) {
  TwoVoxels v;
  // Weights 0.5 (class 0) and 2 (class 1): (0.5 ln 2 + 2 ln(1 + e^2)) / 2.5
  // = (0.3465736 + 4.2538560) / 2.5 = 1.8401718.
  const auto weights = at::tensor({0.5, 2.0}, at::kDouble);
  const auto loss = masked_cross_entropy(v.logits, v.target, at::ones({1, 2}), weights);
  EXPECT_NEAR(loss.item<double>(), 1.8401718, 1e-7);
  EXPECT_NEAR(masked_cross_entropy(v.logits, v.target, {}, weights).item<double>(), 1.8401718, 1e-7);
  // d/dlogits: w_t (softmax - onehot) / sum(w_t).
  loss.backward();
  const double e2 = std::exp(2.0);
  const auto expected = at::tensor({0.5 * (0.5 - 1.0) / 2.5, 2.0 * (e2 / (e2 + 1)) / 2.5, 0.5 * 0.5 / 2.5,
                                    2.0 * (1 / (e2 + 1) - 1.0) / 2.5},
                                   at::kDouble)
                            .reshape({1, 2, 2});
  EXPECT_TRUE(at::allclose(v.logits.grad(), expected, 1e-12, 1e-12)) << v.logits.grad();

  // The mask leaves the second voxel out: its weight leaves the denominator too.
  EXPECT_NEAR(masked_cross_entropy(v.logits, v.target, at::tensor({1.0, 0.0}).reshape({1, 2}), weights)
                  .item<double>(),
              v.first, 1e-12);
  // Every visible voxel weighs 0: 0, not 0/0.
  const auto zero = masked_cross_entropy(v.logits, v.target, at::ones({1, 2}), at::zeros({2}, at::kDouble));
  EXPECT_EQ(zero.item<double>(), 0.0);
}

TEST(MaskedCrossEntropy, ClassWeightedMeanMatchesAtenCrossEntropyWithWeights) {
  at::manual_seed(5);
  const auto values = at::randn({2, 6, 5, 4, 3});
  const auto target = at::randint(0, 6, {2, 5, 4, 3}, at::kLong);
  const auto weights = at::rand({6}) + 0.1;
  const auto ours_logits = values.clone().requires_grad_(true);
  const auto aten_logits = values.clone().requires_grad_(true);
  const auto ours = masked_cross_entropy(ours_logits, target, at::ones({2, 5, 4, 3}), weights);
  const auto aten = at::cross_entropy_loss(aten_logits, target, weights);
  EXPECT_NEAR(ours.item<float>(), aten.item<float>(), 1e-5);
  ours.backward();
  aten.backward();
  EXPECT_TRUE(at::allclose(ours_logits.grad(), aten_logits.grad(), 1e-5, 1e-7));
}

TEST(MaskedCrossEntropy, RejectsMismatchedArguments) {
  const auto logits = at::randn({1, 3, 4, 2});
  EXPECT_THROW(masked_cross_entropy(logits, at::zeros({1, 4, 3}, at::kLong), {}), UsageError);
  EXPECT_THROW(masked_cross_entropy(logits, at::zeros({1, 4, 2}, at::kFloat), {}), UsageError);
  EXPECT_THROW(masked_cross_entropy(logits, at::zeros({1, 4, 2}, at::kLong), at::ones({1, 4})), UsageError);
  EXPECT_THROW(masked_cross_entropy(logits, at::zeros({1, 4, 2}, at::kLong), {}, at::ones({2})), UsageError);
  try {
    masked_cross_entropy(logits, at::full({1, 4, 2}, 3, at::kLong), {});
    FAIL() << "class id 3 of 3 classes accepted";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("outside 0..2"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace occ::losses
