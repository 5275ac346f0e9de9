#pragma once
// Deformable self-attention over a voxel query volume (CHOSEN for the baseline,
// protoocc.md: PanoOcc's configs name a 3D self-attention; we use multi-scale
// deformable attention with the Z slices as its levels): every query samples
// points around its own (x, y) in every z slice and mixes them with attention
// weights softmaxed over slices x points, as BEVFormer's temporal
// self-attention does over BEV maps. Output: query + dropout(attention).
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>

#include "nn/deformable_attention.h"

namespace occ::models {

// The query volume as deformable-attention levels: each z slice an image with
// rows x and columns y (the query order), and every query's location
// (column, row) = (y, x) normalised to pixel centres. Plain tensors, not
// buffers: users keep them as members that follow the query's device in
// forward and stay int64 when a module changes dtype.
struct VoxelSliceLayout {
  at::Tensor spatial_shapes;     // int64 [Z, 2]
  at::Tensor level_start_index;  // int64 [Z]
  at::Tensor reference_points;   // [X*Y*Z, 2]
};
VoxelSliceLayout voxel_slice_layout(const std::array<int64_t, 3>& query_shape);

struct VoxelSelfAttentionOptions {
  int64_t embed_dims = 256;
  int64_t num_heads = 8;
  int64_t num_points = 8;
  std::array<int64_t, 3> query_shape{50, 50, 16};  // X, Y, Z of the volume
  double dropout = 0.1;
};

class VoxelSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit VoxelSelfAttentionImpl(const VoxelSelfAttentionOptions& options = {});

  // query, query_pos [B, X*Y*Z, d], flat index (x*Y + y)*Z + z; query_pos may
  // be undefined. The value is the query without its position.
  at::Tensor forward(const at::Tensor& query, const at::Tensor& query_pos);

  nn::MultiScaleDeformableAttention deformable_attention{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  VoxelSelfAttentionOptions options_;
  at::Tensor reference_points_;  // [X*Y*Z, 2] (y, x) centres normalised to (0, 1)
  at::Tensor spatial_shapes_;
  at::Tensor level_start_index_;
};
TORCH_MODULE(VoxelSelfAttention);

}  // namespace occ::models
