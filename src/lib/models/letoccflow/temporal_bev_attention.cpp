#include "models/letoccflow/temporal_bev_attention.h"

#include <torch/nn/init.h>

#include <string>

#include "core/error.h"
#include "nn/deformable_attention.h"
#include "nn/shape_text.h"

namespace occ::models {
namespace {

constexpr int64_t kMaps = 2;  // {other, query}: the reference's num_bev_queue

}  // namespace

at::Tensor bev_reference_points(int64_t rows, int64_t cols, const at::TensorOptions& options) {
  const at::Tensor x = (at::arange(cols, options) + 0.5) / static_cast<double>(cols);
  const at::Tensor y = (at::arange(rows, options) + 0.5) / static_cast<double>(rows);
  return at::stack({x.view({1, cols}).expand({rows, cols}), y.view({rows, 1}).expand({rows, cols})}, -1)
      .reshape({rows * cols, 2});
}

TemporalBevAttentionImpl::TemporalBevAttentionImpl(const TemporalBevAttentionOptions& options)
    : options_(options) {
  const int64_t c = options.embed_dims, heads = options.num_heads, points = options.num_points;
  if (c < 1 || heads < 1 || points < 1 || c % heads != 0)
    throw UsageError("temporal attention: embed_dims " + std::to_string(c) +
                     " must be a positive multiple of num_heads " + std::to_string(heads) +
                     " and num_points positive, got " + std::to_string(points));
  const int64_t samples = kMaps * heads * points;
  sampling_offsets = register_module("sampling_offsets", torch::nn::Linear(2 * c, samples * 2));
  attention_weights = register_module("attention_weights", torch::nn::Linear(2 * c, samples));
  value_proj = register_module("value_proj", torch::nn::Linear(c, c));
  output_proj = register_module("output_proj", torch::nn::Linear(c, c));
  beta = register_parameter("beta", at::full({1}, options.beta_init));
  // Deformable DETR's initialisation, as the reference's init_weights: zero
  // offset weights, biases on a ring of head directions (point i at i + 1
  // cells), the same for both maps; uniform attention; Xavier projections.
  nn::reset_deformable_linears(sampling_offsets, nn::deformable_detr_offset_grid(heads, kMaps, points),
                               attention_weights, value_proj, output_proj);
}

at::Tensor TemporalBevAttentionImpl::forward(const at::Tensor& query, const at::Tensor& other,
                                             int64_t bev_rows, int64_t bev_cols) {
  const int64_t c = options_.embed_dims, heads = options_.num_heads, points = options_.num_points;
  const int64_t cells = bev_rows * bev_cols;
  if (query.dim() != 3 || query.size(1) != cells || query.size(2) != c || other.sizes() != query.sizes())
    throw UsageError("temporal attention: query and other must both be [N, " + std::to_string(cells) + ", " +
                     std::to_string(c) + "], got " + nn::shape_text(query) + " and " + nn::shape_text(other));
  const int64_t n = query.size(0);
  const at::Tensor joint = at::cat({other, query}, -1);  // the reference's cat([value[:, 0], query])
  // Values: the two maps stacked as two levels of one value tensor.
  const at::Tensor value =
      value_proj->forward(at::cat({other, query}, 1)).view({n, kMaps * cells, heads, c / heads});
  const at::Tensor offsets = sampling_offsets->forward(joint).view({n, cells, heads, kMaps, points, 2});
  // Softmax per head and map over its points; halved: the mean of the maps.
  const at::Tensor weights =
      attention_weights->forward(joint).view({n, cells, heads, kMaps, points}).softmax(-1) / kMaps;
  const nn::LevelLayout layout = nn::make_level_layout({{bev_rows, bev_cols}, {bev_rows, bev_cols}});
  // Offsets are in cells: divided by (W, H).
  const at::Tensor normaliser =
      at::tensor({static_cast<double>(bev_cols), static_cast<double>(bev_rows)}, offsets.options());
  const at::Tensor reference = bev_reference_points(bev_rows, bev_cols, offsets.options());
  const at::Tensor locations = reference.view({1, cells, 1, 1, 1, 2}) + offsets / normaliser;
  const bool fused = options_.use_fused_kernel && value.device().is_cpu();
  const at::Tensor& shapes = layout.spatial_shapes;
  const at::Tensor& starts = layout.level_start_index;
  const at::Tensor attended = fused ? nn::msda_fused(value, shapes, starts, locations, weights)
                                    : nn::msda_reference(value, shapes, starts, locations, weights);
  return query + beta * output_proj->forward(attended);
}

}  // namespace occ::models
