#pragma once
// Temporal self-attention over a voxel query volume: BEVFormer's
// TemporalSelfAttention (fundamentalvision/BEVFormer, modules/
// temporal_self_attention.py) adapted to our voxel self-attention
// (voxel_self_attention.h: deformable attention with the Z slices as levels).
//
// CHOSEN adaptation, BEVFormer's steps kept one for one:
// - two value "queues": the previous volume, already warped into the current
//   ego frame (align_history_volume; BEVFormer instead shifts the reference
//   points of its rotated previous BEV), and the current queries; both
//   without position, each laid out as Z slices of X x Y (the levels);
// - sampling offsets and attention weights come from concat(previous,
//   query + position) (2 * embed_dims inputs), separately for each queue,
//   the weights softmaxed over slices x points within a queue;
// - every query samples around its own (x, y) in both queues; the two
//   results are averaged, projected, and added to the query (dropout on the
//   residual branch);
// - without a previous volume (a scene's first frame, or a history entry
//   marked invalid) the previous queue is the query itself, as BEVFormer
//   stacks [query, query] when prev_bev is None.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>

#include "models/voxel_self_attention.h"

namespace occ::models {

class TemporalVoxelSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit TemporalVoxelSelfAttentionImpl(const VoxelSelfAttentionOptions& options = {});

  // Deformable DETR's initialisation as in MultiScaleDeformableAttention
  // (offsets on a ring of head directions, point i at i+1 voxels, the same
  // for both queues; uniform attention; Xavier projections).
  void reset_parameters();

  // query, query_pos [B, X*Y*Z, d] (flat index (x*Y + y)*Z + z; query_pos may
  // be undefined). previous [B, X*Y*Z, d]: the aligned previous volume, or
  // undefined for none; previous_valid [B] bool (undefined: all valid) picks
  // per frame between `previous` and the query itself.
  at::Tensor forward(const at::Tensor& query, const at::Tensor& query_pos, const at::Tensor& previous,
                     const at::Tensor& previous_valid = {});

  torch::nn::Linear sampling_offsets{nullptr};   // 2d -> heads * 2 * Z * points * 2
  torch::nn::Linear attention_weights{nullptr};  // 2d -> heads * 2 * Z * points
  torch::nn::Linear value_proj{nullptr}, output_proj{nullptr};
  torch::nn::Dropout dropout{nullptr};

  static constexpr int64_t kQueues = 2;  // previous, current

 private:
  VoxelSelfAttentionOptions options_;
  at::Tensor reference_points_;  // [X*Y*Z, 2] (y, x) centres normalised to (0, 1)
  at::Tensor spatial_shapes_;
  at::Tensor level_start_index_;
};
TORCH_MODULE(TemporalVoxelSelfAttention);

}  // namespace occ::models
