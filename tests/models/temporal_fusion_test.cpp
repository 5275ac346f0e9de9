// Temporal building blocks: ego-motion alignment of history volumes (known
// answers by hand), PanoOcc's fusion bottleneck, and the temporal
// self-attention.
#include "models/temporal_fusion.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "models/temporal_self_attention.h"

namespace occ::models {
namespace {

// 8 x 8 x 4 voxels of 1 m from (-4, -4, -1); queries 4 x 4 x 2, 2 m
// each, centred at -3, -1, 1, 3 in x and y: every number below is exact.
GridSpec small_grid() {
  GridSpec grid;
  grid.shape = {8, 8, 4};
  grid.origin_m = {-4.0, -4.0, -1.0};
  grid.voxel_size_m = {1.0, 1.0, 1.0};
  return grid;
}
constexpr std::array<int64_t, 3> kQueries{4, 4, 2};

at::Tensor transform(const std::vector<double>& rows) {
  return at::tensor(rows, at::kDouble).view({1, 4, 4}).to(at::kFloat);
}

at::Tensor translation_x(double metres) {
  return transform({1, 0, 0, metres, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
}

TEST(AlignHistoryVolume, IdentityReturnsTheVolumeExactly) {
  const at::Tensor volume = at::randn({2, 3, 4, 4, 2});
  const at::Tensor identity = at::eye(4).expand({2, 4, 4});
  const AlignedVolume aligned = align_history_volume(volume, identity, small_grid(), kQueries);
  EXPECT_TRUE(at::equal(aligned.volume, volume));
  EXPECT_TRUE(aligned.inside.all().item<bool>());
  EXPECT_EQ(aligned.inside.sizes().vec(), (std::vector<int64_t>{2, 4, 4, 2}));
}

// The ego moved 2 m (one query voxel) forward since the history frame: a
// current point lies 2 m further ahead in the history frame, so the aligned
// slice i is the history's slice i + 1 and the last slice, never seen, is 0.
TEST(AlignHistoryVolume, OneVoxelOfTranslationShiftsByOneSlice) {
  const at::Tensor volume = at::randn({1, 3, 4, 4, 2});
  const AlignedVolume aligned = align_history_volume(volume, translation_x(2.0), small_grid(), kQueries);
  EXPECT_TRUE(at::equal(aligned.volume.slice(2, 0, 3), volume.slice(2, 1, 4)));
  EXPECT_TRUE(at::equal(aligned.volume.select(2, 3), at::zeros({1, 3, 4, 2})));
  EXPECT_TRUE(aligned.inside.slice(1, 0, 3).all().item<bool>());
  EXPECT_FALSE(aligned.inside.select(1, 3).any().item<bool>());
}

// Half a query voxel: trilinear interpolation halfway between two slices;
// the last slice reaches the volume's outer face (inside) and mixes with the
// zero padding.
TEST(AlignHistoryVolume, HalfAVoxelInterpolatesLinearly) {
  const at::Tensor volume = at::randn({1, 2, 4, 4, 2});
  const AlignedVolume aligned = align_history_volume(volume, translation_x(1.0), small_grid(), kQueries);
  EXPECT_TRUE(at::allclose(aligned.volume.slice(2, 0, 3),
                           0.5 * (volume.slice(2, 0, 3) + volume.slice(2, 1, 4)), 1e-6, 1e-6));
  EXPECT_TRUE(at::allclose(aligned.volume.select(2, 3), 0.5 * volume.select(2, 3), 1e-6, 1e-6));
  EXPECT_TRUE(aligned.inside.all().item<bool>());
}

// history_from_current rotates by +90 degrees about z: (x, y) -> (-y, x).
// Query centres are -3, -1, 1, 3 on both axes, so the current voxel (i, j)
// reads the history at x = -y_j (index 3 - j), y = x_i (index i).
TEST(AlignHistoryVolume, NinetyDegreesOfYawPermutesXAndY) {
  const at::Tensor volume = at::randn({1, 2, 4, 4, 2});
  const at::Tensor yaw = transform({0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
  const AlignedVolume aligned = align_history_volume(volume, yaw, small_grid(), kQueries);
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 4; ++j)
      EXPECT_TRUE(at::equal(aligned.volume.select(2, i).select(2, j), volume.select(2, 3 - j).select(2, i)))
          << i << " " << j;
  // E.g. the voxel at (x, y) = (-3, -3) reads the history's (3, -3).
  EXPECT_TRUE(at::equal(aligned.volume[0].select(1, 0).select(1, 0), volume[0].select(1, 3).select(1, 0)));
  EXPECT_TRUE(aligned.inside.all().item<bool>());
}

TEST(AlignHistoryVolume, RejectsBadShapes) {
  EXPECT_THROW(
      align_history_volume(at::zeros({1, 3, 4, 4, 3}), at::eye(4).unsqueeze(0), small_grid(), kQueries),
      UsageError);
  EXPECT_THROW(
      align_history_volume(at::zeros({2, 3, 4, 4, 2}), at::eye(4).unsqueeze(0), small_grid(), kQueries),
      UsageError);
}

TEST(TemporalFusion, PanoOccBottleneckShapes) {
  TemporalFusionOptions options;
  options.embed_dims = 6;
  options.history_frames = 2;
  TemporalFusion fusion(options);
  EXPECT_EQ(fusion->reduce->weight.sizes().vec(), (std::vector<int64_t>{6, 18, 1, 1, 1}));
  EXPECT_EQ(fusion->spatial->weight.sizes().vec(), (std::vector<int64_t>{6, 6, 3, 3, 3}));
  EXPECT_EQ(fusion->expand->weight.sizes().vec(), (std::vector<int64_t>{6, 6, 1, 1, 1}));
  EXPECT_EQ(fusion->shortcut->weight.sizes().vec(), (std::vector<int64_t>{6, 18, 1, 1, 1}));
  for (const auto& item : fusion->named_parameters())
    if (item.key().find("bias") != std::string::npos) {
      EXPECT_NE(item.key().find("_norm."), std::string::npos) << item.key() << ": convolutions have no bias";
    }

  const at::Tensor current = at::randn({2, 6, 4, 3, 2}).requires_grad_();
  const at::Tensor history = at::randn({2, 2, 6, 4, 3, 2}).requires_grad_();
  const at::Tensor fused = fusion->forward(current, history);
  EXPECT_EQ(fused.sizes(), current.sizes());
  EXPECT_GE(fused.min().item<double>(), 0.0);  // a ReLU ends the block
  fused.sum().backward();
  EXPECT_GT(current.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(history.grad().abs().sum().item<double>(), 0.0);  // the block reads every frame
  EXPECT_THROW(fusion->forward(current, history.slice(1, 0, 1)), UsageError);
}

// The block equals its definition written out with ATen ops (eval mode: BN
// with running statistics 0 and 1, weight 1, bias 0, i.e. x / sqrt(1 + eps)).
TEST(TemporalFusion, MatchesTheBottleneckWrittenOut) {
  TemporalFusionOptions options;
  options.embed_dims = 4;
  options.history_frames = 1;
  TemporalFusion fusion(options);
  fusion->eval();
  const at::Tensor current = at::randn({1, 4, 3, 3, 2});
  const at::Tensor history = at::randn({1, 1, 4, 3, 3, 2});
  const at::Tensor stacked = at::cat({current, history[0].unsqueeze(0).flatten(1, 2)}, 1);
  const double scale = 1.0 / std::sqrt(1.0 + 1e-5);
  const auto conv = [](const at::Tensor& x, const at::Tensor& w, int64_t pad) {
    return at::conv3d(x, w, {}, 1, pad);
  };
  at::Tensor x = (conv(stacked, fusion->reduce->weight, 0) * scale).relu();
  x = (conv(x, fusion->spatial->weight, 1) * scale).relu();
  x = conv(x, fusion->expand->weight, 0) * scale;
  const at::Tensor expected = (x + conv(stacked, fusion->shortcut->weight, 0) * scale).relu();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(at::allclose(fusion->forward(current, history), expected, 1e-5, 1e-5));
}

VoxelSelfAttentionOptions attention_options() {
  VoxelSelfAttentionOptions options;
  options.embed_dims = 4;
  options.num_heads = 2;
  options.num_points = 1;
  options.query_shape = {3, 4, 2};
  options.dropout = 0.0;
  return options;
}

// With zero sampling offsets, one point, uniform weights and identity
// projections, each query reads its own (x, y) in every z slice of both
// queues: output = query + (mean_z previous + mean_z query) / 2.
TEST(TemporalVoxelSelfAttention, AveragesThePreviousAndCurrentQueues) {
  TemporalVoxelSelfAttention attention(attention_options());
  {
    torch::NoGradGuard no_grad;
    attention->sampling_offsets->bias.zero_();
    attention->value_proj->weight.copy_(at::eye(4));
    attention->output_proj->weight.copy_(at::eye(4));
  }
  EXPECT_EQ(attention->sampling_offsets->weight.size(1), 8);  // concat(previous, query)
  const at::Tensor query = at::randn({2, 24, 4});
  const at::Tensor previous = at::randn({2, 24, 4});
  const at::Tensor output = attention->forward(query, at::randn({2, 24, 4}), previous);
  const auto column_mean = [](const at::Tensor& x) {
    return x.view({2, 3, 4, 2, 4}).mean(3, true).expand({2, 3, 4, 2, 4}).reshape({2, 24, 4});
  };
  const at::Tensor expected = query + 0.5 * (column_mean(previous) + column_mean(query));
  EXPECT_TRUE(at::allclose(output, expected, 1e-5, 1e-5));
}

// BEVFormer's first frame: no previous volume means the query attends to
// itself in both queues; an invalid previous entry behaves the same.
TEST(TemporalVoxelSelfAttention, WithoutAPreviousVolumeTheQueryIsBothQueues) {
  TemporalVoxelSelfAttention attention(attention_options());
  {
    torch::NoGradGuard no_grad;
    attention->attention_weights->weight.normal_(0.0, 0.1);
    attention->sampling_offsets->weight.normal_(0.0, 0.1);
  }
  const at::Tensor query = at::randn({2, 24, 4});
  const at::Tensor position = at::randn({2, 24, 4});
  const at::Tensor previous = at::randn({2, 24, 4});
  const at::Tensor alone = attention->forward(query, position, {});
  EXPECT_TRUE(at::allclose(alone, attention->forward(query, position, query)));
  const at::Tensor valid = at::tensor({1, 0}).to(at::kBool);
  const at::Tensor mixed = attention->forward(query, position, previous, valid);
  EXPECT_TRUE(at::allclose(mixed[1], alone[1]));
  EXPECT_TRUE(at::allclose(mixed[0], attention->forward(query, position, previous)[0]));
  EXPECT_FALSE(at::allclose(mixed[0], alone[0]));
}

}  // namespace
}  // namespace occ::models
