#include "models/voxel_self_attention.h"

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace occ::models {

VoxelSliceLayout voxel_slice_layout(const std::array<int64_t, 3>& query_shape) {
  const auto [nx, ny, nz] = query_shape;
  const std::vector<std::pair<int64_t, int64_t>> slices(static_cast<size_t>(nz), {nx, ny});
  const nn::LevelLayout levels = nn::make_level_layout(slices);
  const at::Tensor columns = ((at::arange(ny, at::kFloat) + 0.5) / static_cast<double>(ny)).view({1, ny, 1});
  const at::Tensor rows = ((at::arange(nx, at::kFloat) + 0.5) / static_cast<double>(nx)).view({nx, 1, 1});
  return {
      levels.spatial_shapes, levels.level_start_index,
      at::stack({columns.expand({nx, ny, nz}), rows.expand({nx, ny, nz})}, -1).reshape({nx * ny * nz, 2})};
}

VoxelSelfAttentionImpl::VoxelSelfAttentionImpl(const VoxelSelfAttentionOptions& options) : options_(options) {
  const auto [nx, ny, nz] = options.query_shape;
  nn::MultiScaleDeformableAttentionOptions attention;
  attention.embed_dims = options.embed_dims;
  attention.num_heads = options.num_heads;
  attention.num_levels = nz;
  attention.num_points = options.num_points;
  deformable_attention =
      register_module("deformable_attention", nn::MultiScaleDeformableAttention(attention));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout));

  const VoxelSliceLayout layout = voxel_slice_layout(options.query_shape);
  spatial_shapes_ = layout.spatial_shapes;
  level_start_index_ = layout.level_start_index;
  reference_points_ = layout.reference_points;
}

at::Tensor VoxelSelfAttentionImpl::forward(const at::Tensor& query, const at::Tensor& query_pos) {
  const auto [nx, ny, nz] = options_.query_shape;
  if (query.dim() != 3 || query.size(1) != nx * ny * nz || query.size(2) != options_.embed_dims)
    throw UsageError("voxel self-attention: query must be [B, " + std::to_string(nx * ny * nz) + ", " +
                     std::to_string(options_.embed_dims) + "]");
  const int64_t batch = query.size(0);
  // Levels are z slices, each row-major over (x, y).
  const at::Tensor value = query.view({batch, nx, ny, nz, options_.embed_dims})
                               .permute({0, 3, 1, 2, 4})
                               .reshape({batch, nz * nx * ny, options_.embed_dims});
  const at::Tensor attending = query_pos.defined() ? query + query_pos : query;
  const at::Tensor reference =
      reference_points_.to(query.options()).unsqueeze(0).expand({batch, nx * ny * nz, 2});
  const auto attended = deformable_attention->forward(
      attending, reference, value, spatial_shapes_.to(query.device()), level_start_index_.to(query.device()));
  return query + dropout->forward(attended.output);
}

}  // namespace occ::models
