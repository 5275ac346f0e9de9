// FPN neck: output shapes and strides, the top-down pathway, extra levels.
#include "nn/fpn.h"

#include <gtest/gtest.h>
#include <torch/nn/functional/upsampling.h>

#include "core/error.h"
#include "nn/state_dict.h"

namespace occ::nn {
namespace {

std::vector<torch::Tensor> pyramid(const std::vector<int64_t>& channels, int64_t height, int64_t width) {
  std::vector<torch::Tensor> levels;
  for (size_t i = 0; i < channels.size(); ++i)
    levels.push_back(torch::randn({2, channels[i], height >> i, width >> i}));
  return levels;
}

TEST(Fpn, PanoOccConfigurationShapes) {
  torch::NoGradGuard no_grad;
  Fpn fpn(FpnOptions::panoocc());
  // ResNet-50 stages of a 64x96 image: strides 4..32.
  const auto outputs = fpn->forward(pyramid({256, 512, 1024, 2048}, 16, 24));
  ASSERT_EQ(outputs.size(), 5u);
  const std::vector<std::vector<int64_t>> expected = {
      {2, 256, 16, 24}, {2, 256, 8, 12}, {2, 256, 4, 6}, {2, 256, 2, 3}, {2, 256, 1, 2}};
  for (size_t i = 0; i < outputs.size(); ++i) EXPECT_EQ(outputs[i].sizes().vec(), expected[i]);

  auto parameters = fpn->named_parameters();
  EXPECT_EQ(parameters.size(), 2u * (4 + 5));
  EXPECT_EQ(parameters["lateral_convs.3.conv.weight"].sizes().vec(), (std::vector<int64_t>{256, 2048, 1, 1}));
  EXPECT_EQ(parameters["fpn_convs.4.conv.weight"].sizes().vec(), (std::vector<int64_t>{256, 256, 3, 3}));
}

TEST(Fpn, OddSizesFollowTheInputs) {
  torch::NoGradGuard no_grad;
  FpnOptions options;
  options.in_channels = {8, 16, 32};
  options.out_channels = 4;
  options.num_outs = 3;
  Fpn fpn(options);
  const auto outputs =
      fpn->forward({torch::randn({1, 8, 15, 25}), torch::randn({1, 16, 8, 13}), torch::randn({1, 32, 4, 7})});
  ASSERT_EQ(outputs.size(), 3u);
  EXPECT_EQ(outputs[0].sizes().vec(), (std::vector<int64_t>{1, 4, 15, 25}));
  EXPECT_EQ(outputs[1].sizes().vec(), (std::vector<int64_t>{1, 4, 8, 13}));
  EXPECT_EQ(outputs[2].sizes().vec(), (std::vector<int64_t>{1, 4, 4, 7}));
}

// With identity convs, each output is its input plus the nearest-upsampled
// sum of every coarser input (Lin et al. 2017, top-down pathway).
TEST(Fpn, TopDownPathwayAddsUpsampledCoarserLevels) {
  torch::NoGradGuard no_grad;
  FpnOptions options;
  options.in_channels = {1, 1, 1};
  options.out_channels = 1;
  options.num_outs = 3;
  Fpn fpn(options);
  for (auto& item : fpn->named_parameters()) {
    const auto& name = item.key();
    auto& parameter = item.value();
    parameter.zero_();
    if (name.find("lateral_convs") == 0 && name.find("weight") != std::string::npos) parameter.fill_(1);
    if (name.find("fpn_convs") == 0 && name.find("weight") != std::string::npos)
      parameter[0][0][1][1] = 1;  // 3x3 kernel passing the centre through
  }
  const auto inputs = pyramid({1, 1, 1}, 8, 12);
  const auto outputs = fpn->forward(inputs);
  namespace F = torch::nn::functional;
  auto upsample = [](const torch::Tensor& x) {
    return F::interpolate(
        x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
  };
  const auto level2 = inputs[2];
  const auto level1 = inputs[1] + upsample(level2);
  const auto level0 = inputs[0] + upsample(level1);
  EXPECT_TRUE(torch::allclose(outputs[2], level2, 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(outputs[1], level1, 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(outputs[0], level0, 1e-6, 1e-6));
}

TEST(Fpn, MaxPoolExtraLevelWithoutExtraConvs) {
  torch::NoGradGuard no_grad;
  FpnOptions options;  // extra_source None, num_outs 5
  Fpn fpn(options);
  const auto outputs = fpn->forward(pyramid({256, 512, 1024, 2048}, 32, 32));
  ASSERT_EQ(outputs.size(), 5u);
  EXPECT_EQ(fpn->named_parameters().size(), 2u * (4 + 4));
  // max_pool2d with kernel 1 and stride 2 keeps every other pixel.
  using torch::indexing::None;
  using torch::indexing::Slice;
  EXPECT_TRUE(
      torch::equal(outputs[4], outputs[3].index({Slice(), Slice(), Slice(0, None, 2), Slice(0, None, 2)})));
}

// The ReLU sits between extra convs only: the first extra level is the same
// with or without it, the second differs.
TEST(Fpn, ReluBeforeExtraConvsOnlyBetweenExtraConvs) {
  torch::NoGradGuard no_grad;
  auto options = FpnOptions::panoocc();
  options.in_channels = {4, 8};
  options.out_channels = 4;
  options.num_outs = 4;
  Fpn with_relu(options);
  options.relu_before_extra_convs = false;
  Fpn without_relu(options);
  NamedTensors weights;
  for (const auto& item : with_relu->named_parameters()) weights.emplace_back(item.key(), item.value());
  load_state_dict(*without_relu, weights);

  const auto inputs = pyramid({4, 8}, 16, 16);
  const auto a = with_relu->forward(inputs);
  const auto b = without_relu->forward(inputs);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[3].sizes().vec(), (std::vector<int64_t>{2, 4, 2, 2}));
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  EXPECT_FALSE(torch::allclose(a[3], b[3]));
}

TEST(Fpn, RejectsBadOptionsAndInputs) {
  FpnOptions too_few_outputs;
  too_few_outputs.num_outs = 3;
  EXPECT_THROW(Fpn{too_few_outputs}, UsageError);
  FpnOptions bad_start;
  bad_start.start_level = 4;
  EXPECT_THROW(Fpn{bad_start}, UsageError);
  Fpn fpn(FpnOptions::panoocc());
  EXPECT_THROW(fpn->forward(pyramid({256, 512, 1024}, 16, 16)), UsageError);
  EXPECT_THROW(fpn->forward(pyramid({256, 512, 1024, 1024}, 16, 16)), UsageError);
}

}  // namespace
}  // namespace occ::nn
