#include "models/temporal_self_attention.h"

#include <torch/nn/init.h>

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "nn/deformable_attention.h"

namespace occ::models {
TemporalVoxelSelfAttentionImpl::TemporalVoxelSelfAttentionImpl(const VoxelSelfAttentionOptions& options)
    : options_(options) {
  const auto [nx, ny, nz] = options.query_shape;
  const int64_t dims = options.embed_dims;
  if (dims < 1 || options.num_heads < 1 || options.num_points < 1 || dims % options.num_heads != 0)
    throw UsageError("temporal self-attention: embed_dims " + std::to_string(dims) +
                     " must be a positive multiple of num_heads " + std::to_string(options.num_heads));
  const int64_t samples = options.num_heads * kQueues * nz * options.num_points;
  sampling_offsets = register_module("sampling_offsets", torch::nn::Linear(kQueues * dims, samples * 2));
  attention_weights = register_module("attention_weights", torch::nn::Linear(kQueues * dims, samples));
  value_proj = register_module("value_proj", torch::nn::Linear(dims, dims));
  output_proj = register_module("output_proj", torch::nn::Linear(dims, dims));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout));
  reset_parameters();

  // The same level layout and reference points as VoxelSelfAttention.
  const VoxelSliceLayout layout = voxel_slice_layout(options.query_shape);
  spatial_shapes_ = layout.spatial_shapes;
  level_start_index_ = layout.level_start_index;
  reference_points_ = layout.reference_points;
}

void TemporalVoxelSelfAttentionImpl::reset_parameters() {
  // Deformable DETR's ring, the same for both queues.
  const at::Tensor ring =
      nn::deformable_detr_offset_grid(options_.num_heads, options_.query_shape[2], options_.num_points)
          .unsqueeze(1)
          .repeat({1, kQueues, 1, 1, 1});
  nn::reset_deformable_linears(sampling_offsets, ring, attention_weights, value_proj, output_proj);
}

at::Tensor TemporalVoxelSelfAttentionImpl::forward(const at::Tensor& query, const at::Tensor& query_pos,
                                                   const at::Tensor& previous,
                                                   const at::Tensor& previous_valid) {
  const auto [nx, ny, nz] = options_.query_shape;
  const int64_t dims = options_.embed_dims;
  const int64_t queries = nx * ny * nz;
  if (query.dim() != 3 || query.size(1) != queries || query.size(2) != dims)
    throw UsageError("temporal self-attention: query must be [B, " + std::to_string(queries) + ", " +
                     std::to_string(dims) + "]");
  const int64_t batch = query.size(0);
  at::Tensor before = query;
  if (previous.defined()) {
    if (previous.sizes() != query.sizes())
      throw UsageError("temporal self-attention: the previous volume must have the query's shape");
    before = previous;
    if (previous_valid.defined())
      before =
          at::where(previous_valid.to(query.device()).to(at::kBool).view({batch, 1, 1}), previous, query);
  }
  const int64_t heads = options_.num_heads;
  const int64_t points = options_.num_points;
  const auto as_slices = [&](const at::Tensor& volume) {
    return volume.view({batch, nx, ny, nz, dims})
        .permute({0, 3, 1, 2, 4})
        .reshape({batch, nz * nx * ny, dims});
  };
  // Queue q of frame b is row b * 2 + q (BEVFormer's bs * num_bev_queue).
  const at::Tensor value = value_proj->forward(at::stack({as_slices(before), as_slices(query)}, 1))
                               .view({batch * kQueues, queries, heads, dims / heads});
  const at::Tensor attending = query_pos.defined() ? query + query_pos : query;
  const at::Tensor mixed = at::cat({before, attending}, -1);
  const at::Tensor offsets = sampling_offsets->forward(mixed)
                                 .view({batch, queries, heads, kQueues, nz, points, 2})
                                 .permute({0, 3, 1, 2, 4, 5, 6})
                                 .reshape({batch * kQueues, queries, heads, nz, points, 2});
  const at::Tensor weights = attention_weights->forward(mixed)
                                 .view({batch, queries, heads, kQueues, nz * points})
                                 .softmax(-1)
                                 .view({batch, queries, heads, kQueues, nz, points})
                                 .permute({0, 3, 1, 2, 4, 5})
                                 .reshape({batch * kQueues, queries, heads, nz, points});
  const at::Tensor shapes = spatial_shapes_.to(query.device());
  const at::Tensor starts = level_start_index_.to(query.device());
  // Offsets are in voxels of a slice: divide by its (W, H) = (Y, X).
  const at::Tensor normalizer = shapes.flip({-1}).to(offsets.options()).view({1, 1, 1, nz, 1, 2});
  const at::Tensor locations =
      reference_points_.to(offsets.options()).view({1, queries, 1, 1, 1, 2}) + offsets / normalizer;
  const at::Tensor attended = query.device().is_cpu()
                                  ? nn::msda_fused(value, shapes, starts, locations, weights)
                                  : nn::msda_reference(value, shapes, starts, locations, weights);
  const at::Tensor averaged = attended.view({batch, kQueues, queries, dims}).mean(1);
  return query + dropout->forward(output_proj->forward(averaged));
}

}  // namespace occ::models
