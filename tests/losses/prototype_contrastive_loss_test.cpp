// ProtoOcc's prototype contrastive loss (Sec. 3.2.2) against hand-computed
// cases, and the nearest resize of the pseudo masks.
#include "losses/prototype_contrastive_loss.h"

#include <gtest/gtest.h>

#include "train/superpixel_masks.h"

#include <cmath>
#include <vector>

#include "core/error.h"

namespace occ::losses {
namespace {

// -log(exp(own / tau) / sum_s exp(cos_s / tau))
double cell_loss(double own, const std::vector<double>& all, double tau) {
  double denominator = 0;
  for (const double c : all) denominator += std::exp(c / tau);
  return -(own / tau - std::log(denominator));
}

TEST(PrototypeContrastiveLoss, TwoMasksByHand) {
  // Cells x0 = (1, 0), x1 = (1, 1) in mask 0, x2 = (0, 1) in mask 1.
  // Centroids M0 = (1, 0.5), M1 = (0, 1).
  const at::Tensor x = at::tensor({1.0, 1.0, 0.0, 0.0, 1.0, 1.0}, at::kDouble).view({1, 2, 1, 3});
  const at::Tensor masks = at::tensor({0, 0, 1}, at::kLong).view({1, 1, 3});
  const double tau = 0.5, n0 = std::sqrt(1.25), r2 = std::sqrt(2.0);
  const double c00 = 1 / n0, c01 = 0;                // x0 with M0, M1
  const double c10 = 1.5 / (n0 * r2), c11 = 1 / r2;  // x1
  const double c20 = 0.5 / n0, c21 = 1;              // x2
  const double l0 = cell_loss(c00, {c00, c01}, tau), l1 = cell_loss(c10, {c10, c11}, tau),
               l2 = cell_loss(c21, {c20, c21}, tau);
  EXPECT_NEAR(prototype_contrastive_loss(x, masks, tau).item<double>(), (l0 + l1 + l2) / 3, 1e-12);
  EXPECT_NEAR(prototype_contrastive_loss(x, masks, tau, /*sum=*/true).item<double>(), l0 + l1 + l2, 1e-12);
  // Ids need not be dense: 0 and 5 are two masks as 0 and 1 are.
  EXPECT_NEAR(prototype_contrastive_loss(x, masks * 5, tau).item<double>(), (l0 + l1 + l2) / 3, 1e-12);
}

// Eq. 3-4 as the paper writes them: L_cls sums the per-cell loss over the
// cells of every camera (model.proto_loss_sum = true, the "paper" preset).
// Two cameras of 1 x 4 cells, tau 0.5; with two masks each cell's loss is
// l = log(1 + exp((cos_other - cos_own) / tau)).
// Camera 0: cells (1, 0), (0, 1), (1, 0), (0, 1) in masks 0, 1, 0, 1: the
//   centroids are (1, 0) and (0, 1), cos_own 1, cos_other 0, so each cell
//   costs log(1 + e^-2) = 0.1269280.
// Camera 1: cells (1, 0), (1, 1) in mask 0 and (0, 1), (0, 2) in mask 1:
//   M0 = (1, 0.5), M1 = (0, 1.5);
//   (1, 0): cos M0 = 1/sqrt1.25 = 0.8944272, cos M1 = 0 -> 0.1545662;
//   (1, 1): cos M0 = 1.5/sqrt2.5 = 0.9486833, cos M1 = 0.7071068 -> 0.4804708;
//   (0, 1) and (0, 2): cos M0 = 0.5/sqrt1.25 = 0.4472136, cos M1 = 1 -> 0.2859465 each.
TEST(PrototypeContrastiveLoss, PaperSumOverCellsAndCamerasByHand) {
  const at::Tensor x = at::tensor({1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0,   // camera 0, d = 0 then 1
                                   1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0},  // camera 1
                                  at::kDouble)
                           .view({2, 2, 1, 4});
  const at::Tensor masks = at::tensor({0, 1, 0, 1, 0, 0, 1, 1}, at::kLong).view({2, 1, 4});
  const double camera0 = 4 * 0.1269280, camera1 = 0.1545662 + 0.4804708 + 2 * 0.2859465;
  EXPECT_NEAR(prototype_contrastive_loss(x, masks, 0.5, /*sum=*/true).item<double>(), camera0 + camera1,
              1e-6);
  // Today's default, the mean over the 8 cells: 1/8 of the paper's term.
  EXPECT_NEAR(prototype_contrastive_loss(x, masks, 0.5).item<double>(), (camera0 + camera1) / 8, 1e-6);
}

TEST(PrototypeContrastiveLoss, NearZeroWhenCellsAreOrthogonalCentroids) {
  // Three masks in a 2x3 image, every cell equal to its mask's unit vector.
  const at::Tensor masks = at::tensor({0, 0, 1, 2, 2, 1}, at::kLong).view({1, 2, 3});
  const at::Tensor x = at::one_hot(masks, 3).permute({0, 3, 1, 2}).to(at::kFloat) * 4.0;
  const double loss = prototype_contrastive_loss(x, masks, 0.05).item<double>();
  EXPECT_LT(loss, 1e-6);
  EXPECT_GE(loss, 0.0);
  // The same features under masks that cut across them cost far more.
  EXPECT_GT(prototype_contrastive_loss(x, masks.flip({2}), 0.05).item<double>(), 0.5);
}

TEST(PrototypeContrastiveLoss, MasksOfOtherImagesAreNoNegatives) {
  at::manual_seed(31);
  const at::Tensor x = at::randn({2, 4, 3, 3}, at::kDouble);
  const at::Tensor masks = at::randint(0, 3, {2, 3, 3}, at::kLong);
  const double both = prototype_contrastive_loss(x, masks, 0.1).item<double>();
  const double first = prototype_contrastive_loss(x.slice(0, 0, 1), masks.slice(0, 0, 1), 0.1).item<double>();
  const double second =
      prototype_contrastive_loss(x.slice(0, 1, 2), masks.slice(0, 1, 2) + 7, 0.1).item<double>();
  EXPECT_NEAR(both, (first + second) / 2, 1e-12);
}

TEST(PrototypeContrastiveLoss, GradientsMatchFiniteDifferences) {
  at::manual_seed(32);
  const at::Tensor x = at::randn({1, 3, 2, 3}, at::kDouble).requires_grad_(true);
  const at::Tensor masks = at::tensor({0, 0, 1, 1, 2, 2}, at::kLong).view({1, 2, 3});
  prototype_contrastive_loss(x, masks, 0.2).backward();
  at::NoGradGuard no_grad;
  const double step = 1e-6;
  for (int64_t flat = 0; flat < x.numel(); flat += 4) {
    at::Tensor plus = x.detach().clone(), minus = x.detach().clone();
    plus.view({-1})[flat] += step;
    minus.view({-1})[flat] -= step;
    const double numeric = (prototype_contrastive_loss(plus, masks, 0.2).item<double>() -
                            prototype_contrastive_loss(minus, masks, 0.2).item<double>()) /
                           (2 * step);
    EXPECT_NEAR(x.grad().view({-1})[flat].item<double>(), numeric, 1e-6) << "element " << flat;
  }
}

TEST(PrototypeContrastiveLoss, EmptyCellsAddAConstantWithoutGradient) {
  // Cell 2 has X = 0: cosine 0 with both centroids, loss log 2, gradient 0.
  const at::Tensor x =
      at::tensor({1.0, 0.0, 0.0, 0.0, 1.0, 0.0}, at::kDouble).view({1, 2, 1, 3}).requires_grad_(true);
  const at::Tensor masks = at::tensor({0, 1, 1}, at::kLong).view({1, 1, 3});
  const at::Tensor loss = prototype_contrastive_loss(x, masks, 1.0, /*sum=*/true);
  loss.backward();
  EXPECT_TRUE(at::isfinite(x.grad()).all().item<bool>());
  const double c = 1.0;  // x1 with M1 = (0, 0.5)
  EXPECT_NEAR(loss.item<double>(),
              cell_loss(1.0, {1.0, 0.0}, 1.0) + cell_loss(c, {0.0, c}, 1.0) + std::log(2.0), 1e-12);
}

TEST(PrototypeContrastiveLoss, RejectsBadInputs) {
  const at::Tensor x = at::zeros({1, 2, 2, 2});
  EXPECT_THROW(prototype_contrastive_loss(x, at::zeros({1, 2, 3}, at::kLong), 0.1), UsageError);
  EXPECT_THROW(prototype_contrastive_loss(x, at::zeros({1, 2, 2}, at::kInt), 0.1), UsageError);
  EXPECT_THROW(prototype_contrastive_loss(x, -at::ones({1, 2, 2}, at::kLong), 0.1), UsageError);
  EXPECT_THROW(prototype_contrastive_loss(x, at::zeros({1, 2, 2}, at::kLong), 0.0), UsageError);
}

TEST(ResizeMasksNearest, UpAndDownByHand) {
  const at::Tensor masks = at::tensor({1, 2, 3, 4, 5, 6}, at::kLong).view({1, 2, 3});
  // 2x3 -> 4x6 repeats every id in a 2x2 block.
  const at::Tensor up =
      at::tensor({1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6}, at::kLong)
          .view({1, 4, 6});
  EXPECT_TRUE(at::equal(resize_masks_nearest(masks, 4, 6), up));
  // 2x3 -> 1x2: row floor(0.5 * 2 / 1) = 1; columns floor((j + 0.5) * 3 / 2) = 0, 2.
  EXPECT_TRUE(at::equal(resize_masks_nearest(masks, 1, 2), at::tensor({4, 6}, at::kLong).view({1, 1, 2})));
  // 4x4 -> 3x3 picks rows and columns 0, 2, 3 (floor(4 (i + 0.5) / 3)).
  const at::Tensor square = at::arange(16, at::kLong).view({1, 4, 4});
  EXPECT_TRUE(at::equal(resize_masks_nearest(square, 3, 3),
                        at::tensor({0, 2, 3, 8, 10, 11, 12, 14, 15}, at::kLong).view({1, 3, 3})));
  EXPECT_THROW(resize_masks_nearest(masks.to(at::kFloat), 2, 2), UsageError);
  EXPECT_THROW(resize_masks_nearest(masks, 0, 2), UsageError);
}

TEST(ResizeMasksNearest, AgreesWithTorchNearestExactAndTheLoader) {
  at::manual_seed(33);
  const at::Tensor masks = at::randint(0, 50, {2, 37, 53}, at::kLong);
  const at::Tensor torch_nearest =
      at::_upsample_nearest_exact2d(masks.unsqueeze(1).to(at::kDouble), {14, 25}).squeeze(1).to(at::kLong);
  const at::Tensor resized = resize_masks_nearest(masks, 14, 25);
  EXPECT_TRUE(at::equal(resized, torch_nearest));
  // The loader's resize of stored masks to the network input agrees.
  const at::Tensor stored = masks[1].to(at::kInt).contiguous();
  std::vector<uint16_t> labels(stored.data_ptr<int32_t>(), stored.data_ptr<int32_t>() + stored.numel());
  at::Tensor loaded = at::empty({14, 25}, at::kLong);
  train::resize_labels_nearest(labels.data(), 37, 53, 14, 25, false, loaded.data_ptr<int64_t>());
  EXPECT_TRUE(at::equal(loaded, resized[1]));
}

}  // namespace
}  // namespace occ::losses
