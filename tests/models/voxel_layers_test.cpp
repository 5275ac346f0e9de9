// Voxel self-attention layout, the voxel decoder's upsampling plan and its
// two kinds of x2 step.
#include <gtest/gtest.h>
#include <torch/nn/modules/conv.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "models/voxel_decoder.h"
#include "models/voxel_self_attention.h"
#include "nn/trilinear_upsampling.h"
#include "nn/upsampling_conv.h"

namespace occ::models {
namespace {

// With zero offsets, one point per slice and uniform attention, a query
// averages the values of its own (x, y) column over every z slice: this pins
// down the slice layout and the (column, row) = (y, x) reference points.
TEST(VoxelSelfAttention, UniformAttentionAveragesTheQueryColumn) {
  torch::NoGradGuard no_grad;
  VoxelSelfAttentionOptions options;
  options.embed_dims = 4;
  options.num_heads = 1;
  options.num_points = 1;
  options.query_shape = {3, 5, 2};
  options.dropout = 0.0;
  VoxelSelfAttention attention(options);
  attention->deformable_attention->sampling_offsets->weight.zero_();
  attention->deformable_attention->sampling_offsets->bias.zero_();
  const at::Tensor query = at::randn({2, 3 * 5 * 2, 4});
  const at::Tensor output = attention->forward(query, at::Tensor());

  auto& msda = *attention->deformable_attention;
  const at::Tensor values = msda.value_proj->forward(query).view({2, 3, 5, 2, 4});
  const at::Tensor column_mean = values.mean(3, /*keepdim=*/true).expand({2, 3, 5, 2, 4}).reshape({2, 30, 4});
  const at::Tensor expected = query + msda.output_proj->forward(column_mean);
  EXPECT_TRUE(at::allclose(output, expected, 1e-5, 1e-6));
  EXPECT_THROW(attention->forward(at::randn({1, 29, 4}), at::Tensor()), UsageError);
}

TEST(VoxelDecoder, PlansReachTheGridForEveryPreset) {
  using Plan = std::vector<std::array<bool, 3>>;
  // base: 100x100x16 -> 200x200x16 in one x,y step.
  EXPECT_EQ(plan_upsampling({100, 100, 16}, {200, 200, 16}, 1), (Plan{{true, true, false}}));
  // small: 50x50x16, two x,y steps.
  EXPECT_EQ(plan_upsampling({50, 50, 16}, {200, 200, 16}, 2),
            (Plan{{true, true, false}, {true, true, false}}));
  // tiny: 50x50x4, Z upsampled too.
  EXPECT_EQ(plan_upsampling({50, 50, 4}, {200, 200, 16}, 2), (Plan{{true, true, true}, {true, true, true}}));
  // demo on Occ3D: 50x50x8.
  EXPECT_EQ(plan_upsampling({50, 50, 8}, {200, 200, 16}, 2), (Plan{{true, true, true}, {true, true, false}}));
  // SemanticKITTI base 128x128x16 and small 64x64x8 -> 256x256x32.
  EXPECT_EQ(plan_upsampling({128, 128, 16}, {256, 256, 32}, 1), (Plan{{true, true, true}}));
  EXPECT_EQ(plan_upsampling({64, 64, 8}, {256, 256, 32}, 2).size(), 2u);
  EXPECT_TRUE(plan_upsampling({8, 8, 2}, {8, 8, 2}, 0).empty());
}

TEST(VoxelDecoder, RejectsImpossibleQueryShapesNamingTheKeys) {
  auto message = [](const std::array<int64_t, 3>& query, const std::array<int64_t, 3>& grid, size_t steps) {
    try {
      plan_upsampling(query, grid, steps);
    } catch (const UsageError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  // 30 -> 60 -> 120 -> 240 never hits 200.
  EXPECT_NE(message({30, 30, 16}, {200, 200, 16}, 3).find("model.query_shape 30x30x16 cannot reach the grid"),
            std::string::npos);
  // Larger than the grid.
  EXPECT_NE(message({400, 400, 16}, {200, 200, 16}, 1).find("model.query_shape"), std::string::npos);
  // Reachable, but in a different number of steps than channels listed.
  const std::string steps = message({50, 50, 16}, {200, 200, 16}, 1);
  EXPECT_NE(steps.find("in 2 x2 steps but model.decoder_channels lists 1"), std::string::npos) << steps;
  VoxelDecoderOptions options;
  options.query_shape = {50, 50, 16};
  options.channels = {32};
  EXPECT_THROW(VoxelDecoder{options}, UsageError);
}

TEST(VoxelDecoder, OutputsTheExactGridWithOccupancy) {
  torch::NoGradGuard no_grad;
  VoxelDecoderOptions options;
  options.in_channels = 6;
  options.query_shape = {4, 2, 1};
  options.grid_shape = {16, 8, 2};
  options.channels = {8, 4};
  options.classifier_hidden = 5;
  options.num_classes = 7;
  options.occupancy_head = true;
  VoxelDecoder decoder(options);
  decoder->eval();
  const VoxelDecoderOutput output = decoder->forward(at::randn({2, 6, 4, 2, 1}));
  EXPECT_EQ(output.features.sizes().vec(), (std::vector<int64_t>{2, 4, 16, 8, 2}));
  EXPECT_EQ(output.logits.sizes().vec(), (std::vector<int64_t>{2, 7, 16, 8, 2}));
  EXPECT_EQ(output.occupancy_logit.sizes().vec(), (std::vector<int64_t>{2, 16, 8, 2}));
  EXPECT_EQ(decoder->out_channels(), 4);
  // Step 1 doubles every axis (kernel 4); step 2 only x and y (kernel 1 on z).
  const auto first = decoder->upsampling->ptr<nn::UpsamplingConvTranspose3dImpl>(0);
  const auto second = decoder->upsampling->ptr<nn::UpsamplingConvTranspose3dImpl>(3);
  EXPECT_EQ(first->weight.sizes().vec(), (std::vector<int64_t>{6, 8, 4, 4, 4}));
  EXPECT_EQ(second->weight.sizes().vec(), (std::vector<int64_t>{8, 4, 4, 4, 1}));
  EXPECT_THROW(decoder->forward(at::randn({2, 6, 4, 2, 2})), UsageError);
}

TEST(TrilinearUpsampling, DoublesTheChosenAxesAsPyTorchInterpolates) {
  // x: [0, 4] -> sources (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25,
  // clamped to the ends: 0, 1, 3, 4. y is not doubled: copied.
  const at::Tensor input = at::tensor({0.0f, 10.0f, 4.0f, 20.0f}).view({1, 1, 2, 2, 1});
  const at::Tensor doubled = nn::trilinear_double(input, {true, false, false});
  EXPECT_EQ(doubled.sizes().vec(), (std::vector<int64_t>{1, 1, 4, 2, 1}));
  const at::Tensor expected =
      at::tensor({0.0f, 10.0f, 1.0f, 12.5f, 3.0f, 17.5f, 4.0f, 20.0f}).view({1, 1, 4, 2, 1});
  EXPECT_TRUE(at::allclose(doubled, expected)) << doubled;
}

// A constant volume: trilinear + convolution gives the same value at every
// interior cell, the transposed convolution alternates between its two
// phases along each doubled axis (the decoder's stripes).
TEST(TrilinearUpsampling, HasNoAlternatingPhasesUnlikeTheTransposedConvolution) {
  torch::NoGradGuard no_grad;
  at::manual_seed(2);
  const at::Tensor constant = at::ones({1, 3, 6, 6, 6});
  const std::array<bool, 3> all{true, true, true};
  auto interior_spread = [](const at::Tensor& output) {
    const at::Tensor inner = output.slice(2, 2, -2).slice(3, 2, -2).slice(4, 2, -2);
    return (inner.amax({2, 3, 4}) - inner.amin({2, 3, 4})).max().item<double>();
  };
  nn::TrilinearUpsamplingConv3d resize_conv(3, 4, all);
  nn::UpsamplingConvTranspose3d deconv(3, 4, all);
  EXPECT_EQ(resize_conv->weight.sizes().vec(), (std::vector<int64_t>{4, 3, 3, 3, 3}));
  EXPECT_LT(interior_spread(resize_conv->forward(constant)), 1e-5);
  EXPECT_GT(interior_spread(deconv->forward(constant)), 1e-2);
}

TEST(VoxelDecoder, TrilinearStepsResizeThenConvolve) {
  torch::NoGradGuard no_grad;
  VoxelDecoderOptions options;
  options.in_channels = 6;
  options.query_shape = {4, 2, 1};
  options.grid_shape = {16, 8, 2};
  options.channels = {8, 4};
  options.classifier_hidden = 5;
  options.num_classes = 7;
  options.upsampling = DecoderUpsampling::trilinear;
  VoxelDecoder decoder(options);
  decoder->eval();
  const at::Tensor volume = at::randn({2, 6, 4, 2, 1});
  const VoxelDecoderOutput output = decoder->forward(volume);
  EXPECT_EQ(output.logits.sizes().vec(), (std::vector<int64_t>{2, 7, 16, 8, 2}));
  const auto first = decoder->upsampling->ptr<nn::TrilinearUpsamplingConv3dImpl>(0);
  const auto second = decoder->upsampling->ptr<nn::TrilinearUpsamplingConv3dImpl>(3);
  EXPECT_EQ(first->weight.sizes().vec(), (std::vector<int64_t>{8, 6, 3, 3, 3}));
  EXPECT_EQ(second->weight.sizes().vec(), (std::vector<int64_t>{4, 8, 3, 3, 3}));
  // The first step by hand: every axis doubled, then a padded convolution.
  const at::Tensor by_hand =
      at::conv3d(nn::trilinear_double(volume, {true, true, true}), first->weight, {}, 1, 1);
  EXPECT_TRUE(at::allclose(first->forward(volume), by_hand, 1e-5, 1e-6));
}

}  // namespace
}  // namespace occ::models
