// The sub-pixel form of the decoder's transposed convolution equals
// at::conv_transpose3d with the same weight: values and gradients.
#include "nn/subpixel_conv_transpose3d.h"

#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include <array>
#include <cmath>
#include <vector>

#include "core/error.h"

namespace occ::nn {
namespace {

void expect_matches_conv_transpose3d(const std::array<bool, 3>& doubled, bool with_bias) {
  at::manual_seed(5);
  SubpixelConvTranspose3dOptions options;
  options.in_channels = 3;
  options.out_channels = 4;
  options.doubled = doubled;
  options.bias = with_bias;
  SubpixelConvTranspose3d layer(options);
  const at::Tensor input = at::randn({2, 3, 5, 4, 3}).set_requires_grad(true);

  std::vector<int64_t> stride, padding, expected_shape = {2, 4};
  for (size_t axis = 0; axis < 3; ++axis) {
    stride.push_back(doubled[axis] ? 2 : 1);
    padding.push_back(doubled[axis] ? 1 : 0);
    expected_shape.push_back(input.size(static_cast<int64_t>(axis) + 2) * (doubled[axis] ? 2 : 1));
  }
  const at::Tensor output = layer->forward(input);
  const at::Tensor expected =
      at::conv_transpose3d(input, layer->weight, with_bias ? layer->bias : at::Tensor(), stride, padding);
  ASSERT_EQ(output.sizes().vec(), expected_shape);
  EXPECT_TRUE(at::allclose(output, expected, 1e-5, 1e-6));

  const at::Tensor upstream = at::randn(expected.sizes(), expected.options());
  const auto ours = torch::autograd::grad({output}, {input, layer->weight}, {upstream});
  const auto reference = torch::autograd::grad({expected}, {input, layer->weight}, {upstream});
  EXPECT_TRUE(at::allclose(ours[0], reference[0], 1e-5, 1e-6));
  // Weight gradients sum ~100 products of magnitude ~30: float rounding.
  EXPECT_TRUE(at::allclose(ours[1], reference[1], 1e-5, 1e-4))
      << (ours[1] - reference[1]).abs().max().item<double>();
}

TEST(SubpixelConvTranspose3d, EqualsConvTranspose3dDoublingEveryAxis) {
  expect_matches_conv_transpose3d({true, true, true}, false);
}

TEST(SubpixelConvTranspose3d, EqualsConvTranspose3dDoublingSomeAxes) {
  expect_matches_conv_transpose3d({true, true, false}, false);
  expect_matches_conv_transpose3d({false, true, true}, true);
  expect_matches_conv_transpose3d({false, false, false}, true);
}

TEST(SubpixelConvTranspose3d, KeepsConvTranspose3dLayoutAndInitialisation) {
  SubpixelConvTranspose3dOptions options;
  options.in_channels = 16;
  options.out_channels = 8;
  options.doubled = {true, true, false};
  SubpixelConvTranspose3d layer(options);
  EXPECT_EQ(layer->weight.sizes().vec(), (std::vector<int64_t>{16, 8, 4, 4, 1}));
  EXPECT_EQ(layer->named_parameters().size(), 1u);
  // Kaiming-uniform with a = sqrt(5): bound 1/sqrt(fan_in), fan_in = 8 * 16.
  const double bound = 1.0 / std::sqrt(8.0 * 16.0);
  EXPECT_LE(layer->weight.abs().max().item<double>(), bound);
  EXPECT_GT(layer->weight.abs().max().item<double>(), 0.9 * bound);
  EXPECT_THROW(layer->forward(at::randn({1, 15, 2, 2, 2})), UsageError);
}

}  // namespace
}  // namespace occ::nn
