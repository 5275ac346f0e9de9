#include "nn/upsampling_conv.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/autograd.h>

#include <array>
#include <vector>

namespace occ::nn {
namespace {

// Compares value and both gradients with LibTorch's ConvTranspose3d.
void expect_same_as_conv_transpose(const std::array<bool, 3>& doubled, at::ScalarType dtype,
                                   double tolerance) {
  at::manual_seed(3);
  const std::vector<int64_t> kernel{doubled[0] ? 4 : 1, doubled[1] ? 4 : 1, doubled[2] ? 4 : 1};
  const std::vector<int64_t> stride{doubled[0] ? 2 : 1, doubled[1] ? 2 : 1, doubled[2] ? 2 : 1};
  const std::vector<int64_t> padding{doubled[0] ? 1 : 0, doubled[1] ? 1 : 0, doubled[2] ? 1 : 0};
  const auto options = at::TensorOptions().dtype(dtype);
  const at::Tensor input = at::randn({2, 5, 4, 3, 2}, options).requires_grad_(true);
  const at::Tensor weight = at::randn({5, 3, kernel[0], kernel[1], kernel[2]}, options).requires_grad_(true);
  const at::Tensor expected = at::conv_transpose3d(input, weight, {}, stride, padding);
  const at::Tensor actual = upsampling_conv_transpose3d(input, weight, doubled);
  ASSERT_EQ(actual.sizes(), expected.sizes());
  EXPECT_LT((actual - expected).abs().max().item<double>(), tolerance);

  const at::Tensor upstream = at::randn_like(expected);
  const auto expected_grads = torch::autograd::grad({expected}, {input, weight}, {upstream});
  const auto actual_grads = torch::autograd::grad({actual}, {input, weight}, {upstream});
  EXPECT_LT((actual_grads[0] - expected_grads[0]).abs().max().item<double>(), tolerance) << "input gradient";
  EXPECT_LT((actual_grads[1] - expected_grads[1]).abs().max().item<double>(), tolerance) << "weight gradient";
}

TEST(UpsamplingConvTranspose3d, EqualsConvTransposeWhenDoublingEveryAxis) {
  expect_same_as_conv_transpose({true, true, true}, at::kDouble, 1e-12);
  expect_same_as_conv_transpose({true, true, true}, at::kFloat, 1e-4);
}

TEST(UpsamplingConvTranspose3d, EqualsConvTransposeWhenKeepingZ) {
  expect_same_as_conv_transpose({true, true, false}, at::kDouble, 1e-12);
  expect_same_as_conv_transpose({false, true, false}, at::kDouble, 1e-12);
}

}  // namespace
}  // namespace occ::nn
