// ProtoOcc's query augmentations (Sec. 3.3): parsing, each spatial change and
// its inverse, equivariant decoding, dropout and noise statistics and their
// draws from the CPU generator.
#include "models/protoocc/multi_perspective.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"

namespace occ::models {
namespace {

using Aug = PerspectiveAugmentation;

const std::vector<Aug> kSpatial = {Aug::Transpose, Aug::FlipX, Aug::FlipY};

std::string usage_error_of(const std::string& list, const std::string& key) {
  try {
    parse_perspective_augmentations(list, key);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "no error";
}

TEST(PerspectiveAugmentations, ParsesListsInTheGivenOrder) {
  EXPECT_EQ(parse_perspective_augmentations("dropout,noise,transpose,flip_x,flip_y", "--aug"),
            (std::vector<Aug>{Aug::Dropout, Aug::Noise, Aug::Transpose, Aug::FlipX, Aug::FlipY}));
  EXPECT_EQ(parse_perspective_augmentations("noise, dropout", "--aug"),
            (std::vector<Aug>{Aug::Noise, Aug::Dropout}));
  EXPECT_EQ(parse_perspective_augmentations("flip_y", "--aug"), std::vector<Aug>{Aug::FlipY});
  EXPECT_TRUE(parse_perspective_augmentations("none", "--aug").empty());
  EXPECT_TRUE(parse_perspective_augmentations("", "--aug").empty());
  for (const auto augmentation : {Aug::Dropout, Aug::Noise, Aug::Transpose, Aug::FlipX, Aug::FlipY}) {
    const std::string name = perspective_augmentation_name(augmentation);
    EXPECT_EQ(parse_perspective_augmentations(name, "k"), std::vector<Aug>{augmentation}) << name;
  }
  const std::vector<Aug> list{Aug::FlipX, Aug::Dropout};
  EXPECT_EQ(perspective_augmentation_list(list), "flip_x,dropout");
  EXPECT_EQ(parse_perspective_augmentations(perspective_augmentation_list(list), "k"), list);
  EXPECT_EQ(perspective_augmentation_list({}), "none");
  EXPECT_TRUE(is_spatial(Aug::Transpose) && is_spatial(Aug::FlipX) && is_spatial(Aug::FlipY));
  EXPECT_FALSE(is_spatial(Aug::Dropout) || is_spatial(Aug::Noise));
}

TEST(PerspectiveAugmentations, ParseErrorsNameTheKey) {
  EXPECT_EQ(usage_error_of("dropout,flop", "--aug"),
            "--aug: unknown augmentation 'flop': use dropout, noise, transpose, flip_x, flip_y (flip: both "
            "flips) or none");
  // "flip" is both flips, one view each.
  EXPECT_EQ(parse_perspective_augmentations("dropout,flip", "--aug"),
            (std::vector<Aug>{Aug::Dropout, Aug::FlipX, Aug::FlipY}));
  EXPECT_EQ(usage_error_of("flip_y,flip", "--aug"), "--aug lists augmentation 'flip_y' twice");
  EXPECT_EQ(usage_error_of("noise,Dropout", "model.augmentations"),
            "'model.augmentations': unknown augmentation 'Dropout': use dropout, noise, transpose, flip_x, "
            "flip_y (flip: both flips) or none");
  EXPECT_EQ(usage_error_of("noise,dropout,noise", "--aug"), "--aug lists augmentation 'noise' twice");
  EXPECT_EQ(usage_error_of("noise,,dropout", "--aug"),
            "--aug has an empty augmentation name in 'noise,,dropout'");
  EXPECT_EQ(usage_error_of("dropout,none", "--aug"),
            "--aug: unknown augmentation 'none': use dropout, noise, transpose, flip_x, flip_y (flip: both "
            "flips) or none");
}

TEST(PerspectiveAugmentations, SpatialChangesMoveVoxelsAsNamed) {
  const at::Tensor volume = at::arange(2 * 3 * 4 * 4 * 5, at::kFloat).reshape({2, 3, 4, 4, 5});
  const PerspectiveOptions options;
  const at::Tensor transposed = augment_volume(volume, Aug::Transpose, options);
  const at::Tensor flipped_x = augment_volume(volume, Aug::FlipX, options);
  const at::Tensor flipped_y = augment_volume(volume, Aug::FlipY, options);
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t j = 0; j < 4; ++j) {
      const auto column = volume.select(2, i).select(2, j);  // [B, C, Z]
      EXPECT_TRUE(transposed.select(2, j).select(2, i).equal(column)) << i << " " << j;
      EXPECT_TRUE(flipped_x.select(2, 3 - i).select(2, j).equal(column)) << i << " " << j;
      EXPECT_TRUE(flipped_y.select(2, i).select(2, 3 - j).equal(column)) << i << " " << j;
    }
  }
}

TEST(PerspectiveAugmentations, UndoRestoresTheOriginalExactly) {
  at::manual_seed(3);
  const PerspectiveOptions options;
  // Output layout [B, K, X', Y', Z'] and the occupancy head's [B, X', Y', Z'].
  for (const at::Tensor& output : {at::randn({2, 18, 8, 8, 4}), at::randn({2, 8, 8, 4})}) {
    for (const auto augmentation : kSpatial) {
      const at::Tensor changed = augment_volume(output, augmentation, options);
      EXPECT_FALSE(changed.equal(output)) << perspective_augmentation_name(augmentation);
      EXPECT_TRUE(undo_augmentation(changed, augmentation).equal(output))
          << perspective_augmentation_name(augmentation);
    }
  }
  const at::Tensor output = at::randn({1, 2, 3, 3, 2});
  EXPECT_TRUE(undo_augmentation(output, Aug::Dropout).is_same(output));
  EXPECT_TRUE(undo_augmentation(output, Aug::Noise).is_same(output));
}

// A decoder that commutes with flips and transposes (a 1x1x1 convolution and
// x2 nearest upsampling in x and y): augmenting its input and undoing on its
// output gives the decoder's output on the original input, at a larger grid.
TEST(PerspectiveAugmentations, UndoAfterAnEquivariantDecoderGivesTheUnaugmentedOutput) {
  at::manual_seed(4);
  const at::Tensor volume = at::randn({2, 6, 5, 5, 3}, at::kDouble);
  const at::Tensor weight = at::randn({4, 6, 1, 1, 1}, at::kDouble);
  const at::Tensor bias = at::randn({4}, at::kDouble);
  const auto decode = [&](const at::Tensor& input) {
    return at::conv3d(input, weight, bias).repeat_interleave(2, 2).repeat_interleave(2, 3);
  };
  const at::Tensor expected = decode(volume);
  ASSERT_EQ(expected.sizes(), (std::vector<int64_t>{2, 4, 10, 10, 3}));
  for (const auto augmentation : kSpatial) {
    const at::Tensor restored =
        undo_augmentation(decode(augment_volume(volume, augmentation, {})), augmentation);
    EXPECT_TRUE(restored.equal(expected)) << perspective_augmentation_name(augmentation);
  }
}

TEST(PerspectiveAugmentations, SpatialChangesPassGradientsBack) {
  const at::Tensor volume = at::randn({1, 2, 3, 3, 2}, at::kDouble).requires_grad_(true);
  const at::Tensor weights = at::randn({1, 2, 3, 3, 2}, at::kDouble);
  for (const auto augmentation : kSpatial) {
    volume.mutable_grad() = at::Tensor();
    (undo_augmentation(augment_volume(volume, augmentation, {}), augmentation) * weights).sum().backward();
    EXPECT_TRUE(volume.grad().equal(weights)) << perspective_augmentation_name(augmentation);
  }
}

TEST(PerspectiveAugmentations, TransposeNeedsSquareGrids) {
  const at::Tensor volume = at::zeros({1, 2, 4, 6, 2});
  EXPECT_THROW(augment_volume(volume, Aug::Transpose, {}), UsageError);
  EXPECT_THROW(undo_augmentation(volume, Aug::Transpose), UsageError);
  EXPECT_THROW(augment_volume(at::zeros({4, 4}), Aug::FlipX, {}), UsageError);
  EXPECT_NO_THROW(augment_volume(volume, Aug::FlipX, {}));
}

TEST(PerspectiveAugmentations, OptionsAreChecked) {
  const at::Tensor volume = at::ones({1, 1, 2, 2, 2});
  PerspectiveOptions options;
  options.dropout = 1.0;
  EXPECT_THROW(augment_volume(volume, Aug::Dropout, options), UsageError);
  options.dropout = -0.1;
  EXPECT_THROW(options.validate(), UsageError);
  options = {};
  options.noise_std = -1.0;
  EXPECT_THROW(augment_volume(volume, Aug::Noise, options), UsageError);
}

TEST(PerspectiveAugmentations, DropoutKeepsTheMeanAndMatchesAtenDropout) {
  const at::Tensor volume = at::ones({4, 8, 50, 50, 8});  // 640,000 elements
  PerspectiveOptions options;
  options.dropout = 0.1;
  at::manual_seed(11);
  const at::Tensor dropped = augment_volume(volume, Aug::Dropout, options);
  const double zeros = dropped.eq(0).to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(zeros, 0.1, 0.002);  // binomial sd 0.0004
  EXPECT_NEAR(dropped.mean().item<double>(), 1.0, 0.003);
  // Survivors are scaled by 1 / (1 - p), so the expectation is kept.
  EXPECT_TRUE(dropped.masked_select(dropped.ne(0)).eq(1.0f / 0.9f).all().item<bool>());
  // The same draws as F.dropout(p, training=True) from the same seed.
  at::manual_seed(11);
  EXPECT_TRUE(dropped.equal(at::dropout(volume, 0.1, /*train=*/true)));
  // Reseeding repeats the draws; continuing does not.
  const at::Tensor next = augment_volume(volume, Aug::Dropout, options);
  EXPECT_FALSE(next.equal(dropped));
  options.dropout = 0.0;
  EXPECT_TRUE(augment_volume(volume, Aug::Dropout, options).equal(volume));
}

TEST(PerspectiveAugmentations, DropoutGradientIsTheScaledKeepMask) {
  const at::Tensor volume = at::randn({2, 3, 4, 4, 2}, at::kDouble).requires_grad_(true);
  PerspectiveOptions options;
  options.dropout = 0.25;
  const at::Tensor dropped = augment_volume(volume, Aug::Dropout, options);
  dropped.sum().backward();
  const at::Tensor expected = dropped.detach().ne(0).to(at::kDouble) / 0.75;
  EXPECT_TRUE(at::allclose(volume.grad(), expected, 0, 1e-15));
}

TEST(PerspectiveAugmentations, NoiseHasTheChosenSpread) {
  const at::Tensor volume = at::full({4, 8, 50, 50, 8}, 2.0f);
  PerspectiveOptions options;
  options.noise_std = 0.1;
  at::manual_seed(12);
  const at::Tensor noisy = augment_volume(volume, Aug::Noise, options);
  const at::Tensor noise = (noisy - volume).to(at::kDouble);
  EXPECT_NEAR(noise.mean().item<double>(), 0.0, 0.0006);  // sd of the mean 0.000125
  EXPECT_NEAR(noise.std().item<double>(), 0.1, 0.001);    // sd of the std ~0.0001
  at::manual_seed(12);
  EXPECT_TRUE(augment_volume(volume, Aug::Noise, options).equal(noisy))
      << "draws from the seeded CPU generator";
  options.noise_std = 0.0;
  EXPECT_TRUE(augment_volume(volume, Aug::Noise, options).equal(volume));

  const at::Tensor leaf = at::zeros({1, 2, 3, 3, 1}, at::kDouble).requires_grad_(true);
  augment_volume(leaf, Aug::Noise, {}).sum().backward();
  EXPECT_TRUE(leaf.grad().equal(at::ones_like(leaf))) << "noise is added, not learned";
}

}  // namespace
}  // namespace occ::models
