#pragma once
// The voxel-query encoder of PanoOcc (protoocc.md, "Baseline architecture"):
// learned queries over a 3D volume with a learned 3D position encoding, then
// layers of [deformable self-attention, norm,] spatial cross-attention into
// the cameras, norm, FFN, norm (post-norm, as BEVFormer's encoder layers).
// The learned position enters the self-attention (PanoOcc, BEVFormer), or the
// cross-attention when there is no self-attention. With temporal
// self-attention (temporal_self_attention.h) the self-attention also reads an
// aligned previous volume; the fusion of history volumes after the encoder
// (temporal_fusion.h) is not part of it.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "models/batch.h"
#include "models/spatial_cross_attention.h"
#include "models/temporal_self_attention.h"
#include "models/voxel_self_attention.h"

namespace occ::models {

struct VoxelEncoderOptions {
  int64_t embed_dims = 256;
  int64_t num_heads = 8;
  int64_t num_points = 8;
  int64_t num_levels = 5;  // camera feature levels
  int64_t ffn_dims = 512;
  double dropout = 0.1;
  int64_t num_layers = 3;
  bool self_attention = true;
  // BEVFormer-style temporal self-attention in place of the self-attention
  // (needs self_attention).
  bool temporal_self_attention = false;
  std::array<int64_t, 3> query_shape{50, 50, 16};
};

class VoxelEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit VoxelEncoderLayerImpl(const VoxelEncoderOptions& options);

  // query, query_pos [B, Q, d] -> [B, Q, d]. previous [B, Q, d] and
  // previous_valid [B]: what the temporal self-attention reads (see
  // TemporalVoxelSelfAttentionImpl::forward); ignored without it.
  at::Tensor forward(const at::Tensor& query, const at::Tensor& query_pos, const CameraFeatures& features,
                     const CameraHits& hits, SpatialCrossAttentionTrace* trace = nullptr,
                     const GatheredQueryHook& hook = nullptr, const at::Tensor& previous = {},
                     const at::Tensor& previous_valid = {});

  // At most one of the two is set: none without self-attention.
  VoxelSelfAttention self_attention{nullptr};
  TemporalVoxelSelfAttention temporal_self_attention{nullptr};
  torch::nn::LayerNorm self_attention_norm{nullptr};
  SpatialCrossAttention cross_attention{nullptr};
  torch::nn::LayerNorm cross_attention_norm{nullptr};
  torch::nn::Linear ffn_in{nullptr}, ffn_out{nullptr};
  torch::nn::Dropout ffn_dropout{nullptr};
  torch::nn::LayerNorm ffn_norm{nullptr};
};
TORCH_MODULE(VoxelEncoderLayer);

// What the encoder's cross-attention did, for ProtoOcc.
struct VoxelEncoderTrace {
  CameraHits hits;                                 // shared by every layer
  std::vector<SpatialCrossAttentionTrace> layers;  // one per layer
};

// Like GatheredQueryHook, told which layer calls it.
using EncoderQueryHook =
    std::function<at::Tensor(int64_t layer, const at::Tensor& gathered_queries, const CameraHits& hits)>;

class VoxelEncoderImpl : public torch::nn::Module {
 public:
  // The queries cover the metric range of `grid`.
  VoxelEncoderImpl(const VoxelEncoderOptions& options, const GridSpec& grid);

  // levels: camera features [B*N, d, H_l, W_l], camera n of frame b at row
  // b*N + n; intrinsics [B, N, 3, 3] in pixels of image_height x image_width
  // images; ego_from_camera [B, N, 4, 4]. Returns the volume [B, d, X, Y, Z].
  // With temporal self-attention, previous_volume [B, d, X, Y, Z] is the
  // previous frame's volume aligned to this one and previous_valid [B] bool
  // says which frames have one (both may be undefined: no previous frame);
  // without it they must stay undefined.
  at::Tensor forward(const std::vector<at::Tensor>& levels, const at::Tensor& intrinsics,
                     const at::Tensor& ego_from_camera, int64_t image_height, int64_t image_width,
                     VoxelEncoderTrace* trace = nullptr, const EncoderQueryHook& hook = nullptr,
                     const at::Tensor& previous_volume = {}, const at::Tensor& previous_valid = {});

  // The learned 3D position of every query, [X*Y*Z, d]: the sum of the x, y
  // and z embeddings (PanoOcc's learned positional encoding).
  at::Tensor query_positions() const;

  const VoxelEncoderOptions& options() const { return options_; }

  torch::nn::Embedding query_embedding{nullptr};  // [X*Y*Z, d], index (x*Y + y)*Z + z
  torch::nn::Embedding x_embedding{nullptr}, y_embedding{nullptr}, z_embedding{nullptr};
  // Added to every camera's features of level l (BEVFormer's level_embeds;
  // its per-camera embeddings are left out: the camera count varies by dataset).
  at::Tensor level_embeddings;            // [levels, d]
  std::vector<VoxelEncoderLayer> layers;  // also registered as "layers.<i>"

 private:
  VoxelEncoderOptions options_;
  torch::nn::ModuleList layer_list_{nullptr};
  at::Tensor query_centres_;  // [X*Y*Z, 3] metres, a plain member (follows the device in forward)
};
TORCH_MODULE(VoxelEncoder);

}  // namespace occ::models
