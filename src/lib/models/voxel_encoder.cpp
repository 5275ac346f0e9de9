#include "models/voxel_encoder.h"

#include <torch/nn/init.h>

#include <string>

#include "core/error.h"

namespace occ::models {

VoxelEncoderLayerImpl::VoxelEncoderLayerImpl(const VoxelEncoderOptions& options) {
  const int64_t dims = options.embed_dims;
  if (options.temporal_self_attention && !options.self_attention)
    throw UsageError("voxel encoder: temporal self-attention replaces the self-attention, which is off");
  if (options.self_attention) {
    VoxelSelfAttentionOptions self;
    self.embed_dims = dims;
    self.num_heads = options.num_heads;
    self.num_points = options.num_points;
    self.query_shape = options.query_shape;
    self.dropout = options.dropout;
    if (options.temporal_self_attention)
      temporal_self_attention = register_module("temporal_self_attention", TemporalVoxelSelfAttention(self));
    else
      self_attention = register_module("self_attention", VoxelSelfAttention(self));
    self_attention_norm =
        register_module("self_attention_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dims})));
  }
  SpatialCrossAttentionOptions cross;
  cross.embed_dims = dims;
  cross.num_heads = options.num_heads;
  cross.num_levels = options.num_levels;
  cross.num_points = options.num_points;
  cross.dropout = options.dropout;
  cross_attention = register_module("cross_attention", SpatialCrossAttention(cross));
  cross_attention_norm =
      register_module("cross_attention_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dims})));
  ffn_in = register_module("ffn_in", torch::nn::Linear(dims, options.ffn_dims));
  ffn_out = register_module("ffn_out", torch::nn::Linear(options.ffn_dims, dims));
  ffn_dropout = register_module("ffn_dropout", torch::nn::Dropout(options.dropout));
  ffn_norm = register_module("ffn_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dims})));
}

at::Tensor VoxelEncoderLayerImpl::forward(const at::Tensor& query, const at::Tensor& query_pos,
                                          const CameraFeatures& features, const CameraHits& hits,
                                          SpatialCrossAttentionTrace* trace, const GatheredQueryHook& hook,
                                          const at::Tensor& previous, const at::Tensor& previous_valid) {
  at::Tensor x = query;
  if (self_attention) x = self_attention_norm->forward(self_attention->forward(x, query_pos));
  if (temporal_self_attention)
    x = self_attention_norm->forward(
        temporal_self_attention->forward(x, query_pos, previous, previous_valid));
  // PanoOcc's OccupancyLayer (as BEVFormer's) gives the learned position to
  // the self-attention only: the cross-attention's query_pos stays None.
  // Without self-attention it goes to the cross-attention instead, so that it
  // still informs where the queries sample.
  const at::Tensor cross_pos = self_attention || temporal_self_attention ? at::Tensor() : query_pos;
  x = cross_attention_norm->forward(cross_attention->forward(x, cross_pos, features, hits, trace, hook));
  // mmcv's FFN: Linear, ReLU, dropout, Linear, dropout, plus the identity.
  const at::Tensor hidden = ffn_dropout->forward(ffn_in->forward(x).relu());
  return ffn_norm->forward(x + ffn_dropout->forward(ffn_out->forward(hidden)));
}

VoxelEncoderImpl::VoxelEncoderImpl(const VoxelEncoderOptions& options, const GridSpec& grid)
    : options_(options) {
  const auto [nx, ny, nz] = options.query_shape;
  const int64_t dims = options.embed_dims;
  query_embedding = register_module("query_embedding", torch::nn::Embedding(nx * ny * nz, dims));
  x_embedding = register_module("x_embedding", torch::nn::Embedding(nx, dims));
  y_embedding = register_module("y_embedding", torch::nn::Embedding(ny, dims));
  z_embedding = register_module("z_embedding", torch::nn::Embedding(nz, dims));
  level_embeddings = register_parameter("level_embeddings", at::empty({options.num_levels, dims}));
  {
    torch::NoGradGuard no_grad;
    // mmdet's LearnedPositionalEncoding starts uniform in [0, 1); BEVFormer's
    // level embeddings normal; the queries keep nn.Embedding's N(0, 1).
    for (auto* embedding : {&x_embedding, &y_embedding, &z_embedding})
      torch::nn::init::uniform_((*embedding)->weight);
    torch::nn::init::normal_(level_embeddings);
  }
  layer_list_ = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.num_layers; ++i) {
    layers.push_back(VoxelEncoderLayer(options));
    layer_list_->push_back(layers.back());
  }
  query_centres_ = voxel_query_centres(grid, options.query_shape);
}

at::Tensor VoxelEncoderImpl::query_positions() const {
  const auto [nx, ny, nz] = options_.query_shape;
  const int64_t dims = options_.embed_dims;
  return (x_embedding->weight.view({nx, 1, 1, dims}) + y_embedding->weight.view({1, ny, 1, dims}) +
          z_embedding->weight.view({1, 1, nz, dims}))
      .reshape({nx * ny * nz, dims});
}

at::Tensor VoxelEncoderImpl::forward(const std::vector<at::Tensor>& levels, const at::Tensor& intrinsics,
                                     const at::Tensor& ego_from_camera, int64_t image_height,
                                     int64_t image_width, VoxelEncoderTrace* trace,
                                     const EncoderQueryHook& hook, const at::Tensor& previous_volume,
                                     const at::Tensor& previous_valid) {
  if (static_cast<int64_t>(levels.size()) != options_.num_levels)
    throw UsageError("voxel encoder built for " + std::to_string(options_.num_levels) +
                     " feature levels got " + std::to_string(levels.size()));
  std::vector<at::Tensor> embedded;
  for (size_t level = 0; level < levels.size(); ++level)
    embedded.push_back(levels[level] +
                       level_embeddings[static_cast<int64_t>(level)].view({1, options_.embed_dims, 1, 1}));
  const CameraFeatures features = flatten_camera_features(embedded);
  const CameraHits hits = find_camera_hits(query_centres_.to(intrinsics.device()), intrinsics,
                                           ego_from_camera, image_height, image_width);
  if (features.value.size(0) != hits.batch * hits.cameras)
    throw UsageError("voxel encoder: " + std::to_string(features.value.size(0)) +
                     " camera feature maps for " + std::to_string(hits.batch) + " frames of " +
                     std::to_string(hits.cameras) + " cameras");

  const int64_t batch = hits.batch;
  const int64_t dims = options_.embed_dims;
  const auto [nx, ny, nz] = options_.query_shape;
  at::Tensor previous;
  if (previous_volume.defined()) {
    if (!options_.temporal_self_attention)
      throw UsageError("voxel encoder: a previous volume was given but there is no temporal self-attention");
    if (previous_volume.dim() != 5 || previous_volume.size(0) != batch || previous_volume.size(1) != dims ||
        previous_volume.size(2) != nx || previous_volume.size(3) != ny || previous_volume.size(4) != nz)
      throw UsageError("voxel encoder: the previous volume must be [" + std::to_string(batch) + ", " +
                       std::to_string(dims) + ", " + std::to_string(nx) + ", " + std::to_string(ny) + ", " +
                       std::to_string(nz) + "]");
    previous = previous_volume.permute({0, 2, 3, 4, 1}).reshape({batch, nx * ny * nz, dims});
  }
  at::Tensor query = query_embedding->weight.unsqueeze(0).expand({batch, hits.queries, dims});
  const at::Tensor query_pos = query_positions().unsqueeze(0).expand({batch, hits.queries, dims});
  if (trace != nullptr) {
    trace->hits = hits;
    trace->layers.assign(layers.size(), {});
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    GatheredQueryHook layer_hook = nullptr;
    if (hook) {
      const auto layer = static_cast<int64_t>(i);
      layer_hook = [&hook, layer](const at::Tensor& gathered, const CameraHits& layer_hits) {
        return hook(layer, gathered, layer_hits);
      };
    }
    query = layers[i]->forward(query, query_pos, features, hits, trace ? &trace->layers[i] : nullptr,
                               layer_hook, previous, previous_valid);
  }
  return query.reshape({batch, nx, ny, nz, dims}).permute({0, 4, 1, 2, 3}).contiguous();
}

}  // namespace occ::models
