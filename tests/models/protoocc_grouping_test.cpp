// ProtoOcc prototype grouping (Sec. 3.2.1): prototype counts, the cell
// averages of the initialisation, the soft grouping across cell borders and
// its gradient.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "labels/superpixels.h"
#include "models/protoocc/prototype_grouping.h"

namespace occ::models {
namespace {

// M = ceil(h / r) * ceil(w / r). For the stride-8 features of 448x800
// images (56x100) this gives the paper's Table 6 counts at r = 4 (350) and
// r = 8 (91), not at r = 2 (Table 6: 1440) or r = 6 (Table 6: 144):
// docs/protoocc.md, "Prototype counts", says why no one r x r rule gives all four.
TEST(PrototypeCount, IsCeilOfHeightOverRTimesCeilOfWidthOverR) {
  // 448x800 -> stride 8 -> 56x100 feature map.
  EXPECT_EQ(prototype_count(56, 100, 4), 350);   // 14 x 25 (Table 6: 350)
  EXPECT_EQ(prototype_count(56, 100, 8), 91);    // 7 x 13, last cells partial (Table 6: 91)
  EXPECT_EQ(prototype_count(56, 100, 2), 1400);  // 28 x 50 exactly (Table 6: 1440)
  EXPECT_EQ(prototype_count(56, 100, 6), 170);   // 10 x 17 (Table 6: 144 = 9 x 16, floor)
  EXPECT_EQ(prototype_count(1, 1, 4), 1);
  EXPECT_EQ(prototype_count(8, 8, 4), 4);
  EXPECT_EQ(prototype_count(9, 8, 4), 6);
  EXPECT_EQ(prototype_count(3, 5, 1), 15);
  EXPECT_THROW(prototype_count(0, 5, 4), UsageError);
  EXPECT_THROW(prototype_count(5, 5, 0), UsageError);
}

TEST(PrototypeCount, AgreesWithClusterMasksImageLevelCount) {
  // occ cluster-masks --match-prototypes counts from the image size.
  for (const int ratio : {2, 4, 6, 8})
    for (const auto& [h, w] : std::vector<std::pair<int, int>>{{448, 800}, {256, 704}, {100, 130}})
      EXPECT_EQ(prototype_count((h + 7) / 8, (w + 7) / 8, ratio), labels::prototype_count(h, w, ratio))
          << h << "x" << w << " r=" << ratio;
}

TEST(PrototypeGrouping, WithoutIterationsGivesTheCellAverages) {
  // Channel 0: 0..14 row-major on a 3x5 map; channel 1: 1. r = 2 gives a 2x3
  // grid whose last row and column are partial.
  const at::Tensor features =
      at::stack({at::arange(15, at::kFloat).view({3, 5}), at::ones({3, 5})}).unsqueeze(0);
  PrototypeGroupingOptions options;
  options.ratio = 2;
  options.iterations = 0;
  const PrototypeGrouping grouping = group_prototypes(features, options);
  EXPECT_EQ(grouping.grid_height, 2);
  EXPECT_EQ(grouping.grid_width, 3);
  ASSERT_EQ(grouping.prototypes.sizes(), (at::IntArrayRef{1, 6, 2}));
  // {0,1,5,6}, {2,3,7,8}, {4,9}, {10,11}, {12,13}, {14}
  const at::Tensor expected = at::tensor({3.0f, 5.0f, 6.5f, 10.5f, 12.5f, 14.0f});
  EXPECT_TRUE(at::allclose(grouping.prototypes.select(2, 0)[0], expected));
  EXPECT_TRUE(at::allclose(grouping.prototypes.select(2, 1)[0], at::ones({6})));
  ASSERT_EQ(grouping.assignment.sizes(), (at::IntArrayRef{1, 3, 5}));
  EXPECT_EQ(grouping.assignment.scalar_type(), at::kLong);
}

TEST(PrototypeGrouping, PixelsJoinThePrototypeOfTheirRegionAcrossCellBorders) {
  // 8x8 map, r = 4 -> 2x2 cells. Region e0: x < 5, y < 4; e2: x < 5, y >= 4;
  // e1: x >= 5. Column 4 belongs to the right cells but not to their region.
  at::Tensor features = at::zeros({1, 3, 8, 8});
  features.select(1, 0).slice(1, 0, 4).slice(2, 0, 5).fill_(1);
  features.select(1, 2).slice(1, 4, 8).slice(2, 0, 5).fill_(1);
  features.select(1, 1).slice(2, 5, 8).fill_(1);
  const PrototypeGrouping grouping = group_prototypes(features, PrototypeGroupingOptions{});
  const at::Tensor assignment = grouping.assignment[0];
  for (int64_t y = 0; y < 8; ++y) {
    for (int64_t x = 0; x < 8; ++x) {
      const int64_t id = assignment[y][x].item<int64_t>();
      if (x < 5)
        EXPECT_EQ(id, y < 4 ? 0 : 2) << "pixel " << y << "," << x;
      else
        EXPECT_TRUE(id == 1 || id == 3) << "pixel " << y << "," << x << " -> " << id;
    }
  }
  // The prototypes became the region features (the right cells started as
  // 0.25 e0 + 0.75 e1 and 0.25 e2 + 0.75 e1).
  const at::Tensor unit = grouping.prototypes[0] / grouping.prototypes[0].norm(2, {1}, true);
  EXPECT_GT(unit[0][0].item<float>(), 0.999);
  EXPECT_GT(unit[2][2].item<float>(), 0.999);
  EXPECT_GT(unit[1][1].item<float>(), 0.99);
  EXPECT_GT(unit[3][1].item<float>(), 0.99);
}

TEST(PrototypeGrouping, NeighbourhoodZeroKeepsEveryPixelInItsCell) {
  at::manual_seed(3);
  PrototypeGroupingOptions options;
  options.ratio = 2;
  options.neighbourhood = 0;
  const PrototypeGrouping grouping = group_prototypes(at::randn({2, 4, 5, 6}), options);
  const at::Tensor cell = (at::arange(5, at::kLong).div(2, "floor").unsqueeze(1) * 3 +
                           at::arange(6, at::kLong).div(2, "floor").unsqueeze(0));
  EXPECT_TRUE(at::equal(grouping.assignment, cell.unsqueeze(0).expand({2, 5, 6})));
}

TEST(PrototypeGrouping, AcceptsNonContiguousFeatures) {
  at::manual_seed(4);
  const at::Tensor features = at::randn({8, 8, 2, 3});  // [h, w, BN, d]
  const at::Tensor permuted = features.permute({2, 3, 0, 1});
  const PrototypeGrouping a = group_prototypes(permuted, PrototypeGroupingOptions{});
  const PrototypeGrouping b = group_prototypes(permuted.contiguous(), PrototypeGroupingOptions{});
  EXPECT_TRUE(at::allclose(a.prototypes, b.prototypes));
  EXPECT_TRUE(at::equal(a.assignment, b.assignment));
}

TEST(PrototypeGrouping, GradientsMatchFiniteDifferences) {
  at::manual_seed(5);
  const at::Tensor features = at::randn({1, 3, 5, 6}, at::kDouble).requires_grad_(true);
  const at::Tensor probe = at::randn({1, 4, 3}, at::kDouble);  // one weight per prototype and channel
  PrototypeGroupingOptions options;
  options.ratio = 3;  // 2x2 cells, partial last row and column
  options.temperature = 0.5;
  const auto objective = [&](const at::Tensor& x) {
    return (group_prototypes(x, options).prototypes * probe).sum();
  };
  objective(features).backward();
  const at::Tensor analytic = features.grad();
  ASSERT_TRUE(analytic.defined());
  EXPECT_GT(analytic.abs().sum().item<double>(), 0);
  at::NoGradGuard no_grad;
  const double step = 1e-6;
  for (const int64_t flat : {0, 7, 23, 41, 89}) {
    at::Tensor plus = features.detach().clone(), minus = features.detach().clone();
    plus.view({-1})[flat] += step;
    minus.view({-1})[flat] -= step;
    const double numeric = (objective(plus).item<double>() - objective(minus).item<double>()) / (2 * step);
    EXPECT_NEAR(analytic.view({-1})[flat].item<double>(), numeric, 1e-6) << "element " << flat;
  }
}

TEST(PrototypeGrouping, RejectsBadOptionsAndShapes) {
  PrototypeGroupingOptions options;
  options.temperature = 0;
  EXPECT_THROW(group_prototypes(at::zeros({1, 2, 4, 4}), options), UsageError);
  options = {};
  options.ratio = 0;
  EXPECT_THROW(group_prototypes(at::zeros({1, 2, 4, 4}), options), UsageError);
  EXPECT_THROW(group_prototypes(at::zeros({2, 4, 4}), PrototypeGroupingOptions{}), UsageError);
}

}  // namespace
}  // namespace occ::models
