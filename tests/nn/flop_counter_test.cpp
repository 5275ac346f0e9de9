#include "nn/flop_counter.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "core/error.h"
#include "nn/upsampling_conv.h"

namespace occ::nn {
namespace {

TEST(FlopCounter, CountsConvolutionsAndMatrixProductsByHand) {
  at::NoGradGuard no_grad;
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 8, 3).stride(2).padding(1));
  torch::nn::Linear linear(16, 4);
  const at::Tensor image = at::randn({2, 3, 10, 12});
  const at::Tensor rows = at::randn({5, 7, 16});
  FlopCounter counter;
  conv->forward(image);                                    // output 2 x 8 x 5 x 6, each 3 x 3 x 3 MACs
  linear->forward(rows);                                   // 35 rows x 4 outputs x 16
  at::matmul(at::randn({4, 6, 9}), at::randn({4, 9, 2}));  // 4 x 6 x 2 x 9
  const auto by_operator = counter.by_operator();
  ASSERT_EQ(by_operator.count("aten::convolution"), 1u);
  EXPECT_EQ(by_operator.at("aten::convolution"), 2 * 8 * 5 * 6 * 27);
  // LibTorch's Linear reaches the counter as aten::linear or aten::matmul
  // depending on the input rank; the addmm/bmm inside are not counted again.
  EXPECT_EQ(by_operator.count("aten::addmm") + by_operator.count("aten::bmm") + by_operator.count("aten::mm"),
            0u);
  EXPECT_EQ(counter.total_macs(), 2 * 8 * 5 * 6 * 27 + 35 * 4 * 16 + 4 * 6 * 2 * 9);
}

TEST(FlopCounter, FastTransposedConvolutionCountsAsTheTransposedOne) {
  at::NoGradGuard no_grad;
  UpsamplingConvTranspose3d fast(4, 2, std::array<bool, 3>{true, true, false});
  torch::nn::ConvTranspose3d slow(
      torch::nn::ConvTranspose3dOptions(4, 2, {4, 4, 1}).stride({2, 2, 1}).padding({1, 1, 0}).bias(false));
  const at::Tensor volume = at::randn({1, 4, 3, 5, 2});
  int64_t fast_macs = 0, slow_macs = 0;
  {
    FlopCounter counter;
    fast->forward(volume);
    fast_macs = counter.total_macs();
  }
  {
    FlopCounter counter;
    slow->forward(volume);
    slow_macs = counter.total_macs();
  }
  EXPECT_EQ(fast_macs, 4 * 3 * 5 * 2 * 2 * 16);
  EXPECT_EQ(fast_macs, slow_macs);
}

TEST(FlopCounter, OneAtATime) {
  FlopCounter counter;
  EXPECT_THROW(FlopCounter second, Error);
}

}  // namespace
}  // namespace occ::nn
