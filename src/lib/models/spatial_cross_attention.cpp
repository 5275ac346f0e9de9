#include "models/spatial_cross_attention.h"

#include "nn/shape_text.h"

#include <algorithm>
#include <string>

#include <torch/nn/init.h>

#include "core/error.h"

namespace occ::models {
namespace {

// BEVFormer's `eps` for the depth test and the perspective divide.
constexpr double kMinDepth = 1e-5;

// Row b*N + n of the padded batch holds queries of frame b: their index in
// the [B*Q] flattening of per-query tensors.
at::Tensor flat_query_index(const CameraHits& hits) {
  const at::Tensor frame = at::arange(hits.batch * hits.cameras, hits.query_index.options())
                               .div(hits.cameras, /*rounding_mode=*/"floor");
  return frame.unsqueeze(1) * hits.queries + hits.query_index;
}

}  // namespace

at::Tensor voxel_query_centres(const GridSpec& grid, const std::array<int64_t, 3>& query_shape) {
  std::array<at::Tensor, 3> axes;
  for (size_t axis = 0; axis < 3; ++axis) {
    const double extent = static_cast<double>(grid.shape[axis]) * grid.voxel_size_m[axis];
    const double step = extent / static_cast<double>(query_shape[axis]);
    axes[axis] = (at::arange(query_shape[axis], at::kDouble) + 0.5) * step + grid.origin_m[axis];
  }
  const int64_t nx = query_shape[0], ny = query_shape[1], nz = query_shape[2];
  const at::Tensor centres =
      at::stack({axes[0].view({nx, 1, 1}).expand({nx, ny, nz}), axes[1].view({1, ny, 1}).expand({nx, ny, nz}),
                 axes[2].view({1, 1, nz}).expand({nx, ny, nz})},
                -1);
  return centres.reshape({nx * ny * nz, 3}).to(at::kFloat);
}

CameraHits find_camera_hits(const at::Tensor& points_in_ego, const at::Tensor& intrinsics,
                            const at::Tensor& ego_from_camera, int64_t image_height, int64_t image_width) {
  if (points_in_ego.dim() != 2 || points_in_ego.size(1) != 3)
    throw UsageError("spatial cross-attention: points must be [Q, 3], got " + nn::shape_text(points_in_ego));
  if (intrinsics.dim() != 4 || intrinsics.size(2) != 3 || intrinsics.size(3) != 3 ||
      ego_from_camera.dim() != 4 || ego_from_camera.size(2) != 4 || ego_from_camera.size(3) != 4 ||
      intrinsics.sizes().slice(0, 2) != ego_from_camera.sizes().slice(0, 2))
    throw UsageError(
        "spatial cross-attention: intrinsics must be [B, N, 3, 3] and ego_from_camera [B, N, 4, 4], got " +
        nn::shape_text(intrinsics) + " and " + nn::shape_text(ego_from_camera));
  at::NoGradGuard no_grad;
  CameraHits hits;
  hits.batch = intrinsics.size(0);
  hits.cameras = intrinsics.size(1);
  hits.queries = points_in_ego.size(0);
  const at::Tensor camera_from_ego = at::inverse(ego_from_camera.to(at::kFloat));
  const at::Tensor rotation = camera_from_ego.slice(2, 0, 3).slice(3, 0, 3);
  const at::Tensor translation = camera_from_ego.slice(2, 0, 3).select(3, 3);
  const at::Tensor points = points_in_ego.to(camera_from_ego.options());
  // [B, N, Q, 3] in the camera frame, then pixels (homogeneous).
  const at::Tensor points_in_camera =
      at::matmul(points, rotation.transpose(-1, -2)) + translation.unsqueeze(2);
  const at::Tensor pixels = at::matmul(points_in_camera, intrinsics.to(at::kFloat).transpose(-1, -2));
  const at::Tensor depth = pixels.select(-1, 2);
  const at::Tensor image_size =
      at::tensor({static_cast<float>(image_width), static_cast<float>(image_height)}, pixels.options());
  const at::Tensor normalised =
      pixels.slice(-1, 0, 2) / depth.clamp_min(kMinDepth).unsqueeze(-1) / image_size;
  const at::Tensor x = normalised.select(-1, 0), y = normalised.select(-1, 1);
  hits.hit = (depth > kMinDepth) & (x > 0) & (x < 1) & (y > 0) & (y < 1);
  hits.count = hits.hit.sum(1).to(at::kFloat);

  // Stable sort of "not hit" puts each row's hits first, in query order: the
  // same rows as BEVFormer's per-camera mask.nonzero(), without a loop.
  const int64_t rows = hits.batch * hits.cameras;
  const at::Tensor hit_rows = hits.hit.reshape({rows, hits.queries});
  const at::Tensor per_row = hit_rows.sum(1);
  const int64_t longest = std::max<int64_t>(1, per_row.max().item<int64_t>());
  const at::Tensor order = std::get<1>(at::sort(hit_rows.logical_not().to(at::kByte),
                                                c10::optional<bool>(true), /*dim=*/1, /*descending=*/false));
  hits.valid = at::arange(longest, per_row.options()).unsqueeze(0) < per_row.unsqueeze(1);
  hits.query_index = order.slice(1, 0, longest).masked_fill(hits.valid.logical_not(), 0);
  hits.locations = normalised.reshape({rows, hits.queries, 2})
                       .gather(1, hits.query_index.unsqueeze(-1).expand({rows, longest, 2}))
                       .masked_fill(hits.valid.logical_not().unsqueeze(-1), 0.0);
  return hits;
}

at::Tensor gather_hits(const at::Tensor& per_query, const CameraHits& hits) {
  if (per_query.dim() < 2 || per_query.size(0) != hits.batch || per_query.size(1) != hits.queries)
    throw UsageError("gather_hits: expected [" + std::to_string(hits.batch) + ", " +
                     std::to_string(hits.queries) + ", ...], got " + nn::shape_text(per_query));
  const int64_t rows = hits.batch * hits.cameras;
  const int64_t longest = hits.query_index.size(1);
  std::vector<int64_t> shape = {rows, longest};
  for (int64_t i = 2; i < per_query.dim(); ++i) shape.push_back(per_query.size(i));
  const at::Tensor flat = per_query.reshape({hits.batch * hits.queries, -1});
  const at::Tensor gathered = flat.index_select(0, flat_query_index(hits).flatten());
  const at::Tensor mask = hits.valid.flatten().unsqueeze(1).to(gathered.scalar_type());
  return (gathered * mask).view(shape);
}

at::Tensor scatter_add_hits(const at::Tensor& per_hit, const CameraHits& hits) {
  const int64_t rows = hits.batch * hits.cameras;
  const int64_t longest = hits.query_index.size(1);
  if (per_hit.dim() < 2 || per_hit.size(0) != rows || per_hit.size(1) != longest)
    throw UsageError("scatter_add_hits: expected [" + std::to_string(rows) + ", " + std::to_string(longest) +
                     ", ...], got " + nn::shape_text(per_hit));
  std::vector<int64_t> shape = {hits.batch, hits.queries};
  for (int64_t i = 2; i < per_hit.dim(); ++i) shape.push_back(per_hit.size(i));
  const at::Tensor flat = per_hit.reshape({rows * longest, -1});
  const at::Tensor masked = flat * hits.valid.flatten().unsqueeze(1).to(flat.scalar_type());
  const at::Tensor sums = at::zeros({hits.batch * hits.queries, flat.size(1)}, flat.options())
                              .index_add(0, flat_query_index(hits).flatten(), masked);
  return sums.view(shape);
}

CameraFeatures flatten_camera_features(const std::vector<at::Tensor>& levels) {
  if (levels.empty()) throw UsageError("spatial cross-attention needs at least one feature level");
  std::vector<at::Tensor> flattened;
  std::vector<std::pair<int64_t, int64_t>> shapes;
  for (const at::Tensor& level : levels) {
    if (level.dim() != 4 || level.size(0) != levels[0].size(0) || level.size(1) != levels[0].size(1))
      throw UsageError("camera feature levels must be [B*N, d, H, W] with equal B*N and d, got " +
                       nn::shape_text(level) + " after " + nn::shape_text(levels[0]));
    flattened.push_back(level.flatten(2).transpose(1, 2));
    shapes.emplace_back(level.size(2), level.size(3));
  }
  const nn::LevelLayout layout = nn::make_level_layout(shapes);
  return {at::cat(flattened, 1), layout.spatial_shapes.to(levels[0].device()),
          layout.level_start_index.to(levels[0].device())};
}

SpatialCrossAttentionImpl::SpatialCrossAttentionImpl(const SpatialCrossAttentionOptions& options)
    : options_(options) {
  nn::MultiScaleDeformableAttentionOptions attention;
  attention.embed_dims = options.embed_dims;
  attention.num_heads = options.num_heads;
  attention.num_levels = options.num_levels;
  attention.num_points = options.num_points;
  deformable_attention =
      register_module("deformable_attention", nn::MultiScaleDeformableAttention(attention));
  output_proj = register_module("output_proj", torch::nn::Linear(options.embed_dims, options.embed_dims));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout));
  // BEVFormer's init_weight: Xavier-uniform output projection, zero bias.
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(output_proj->weight);
  output_proj->bias.zero_();
}

at::Tensor SpatialCrossAttentionImpl::forward(const at::Tensor& query, const at::Tensor& query_pos,
                                              const CameraFeatures& features, const CameraHits& hits,
                                              SpatialCrossAttentionTrace* trace,
                                              const GatheredQueryHook& hook) {
  if (query.dim() != 3 || query.size(0) != hits.batch || query.size(1) != hits.queries ||
      query.size(2) != options_.embed_dims)
    throw UsageError("spatial cross-attention: query must be [" + std::to_string(hits.batch) + ", " +
                     std::to_string(hits.queries) + ", " + std::to_string(options_.embed_dims) + "], got " +
                     nn::shape_text(query));
  if (features.value.size(0) != hits.batch * hits.cameras)
    throw UsageError("spatial cross-attention: features of " + std::to_string(features.value.size(0)) +
                     " images for " + std::to_string(hits.batch) + " frames of " +
                     std::to_string(hits.cameras) + " cameras");
  // BEVFormer adds the position to the attending query; the residual is the
  // query without it.
  const at::Tensor attending = query_pos.defined() ? query + query_pos : query;
  at::Tensor gathered = gather_hits(attending, hits);
  at::Tensor residual = query;
  if (hook) {
    const at::Tensor hooked = hook(gathered, hits);
    if (hook_enters_residual_)
      residual = query + scatter_add_hits(hooked - gathered, hits) / hits.count.clamp_min(1.0).unsqueeze(-1);
    gathered = hooked;
  }
  const auto attended = deformable_attention->forward(gathered, hits.locations, features.value,
                                                      features.spatial_shapes, features.level_start_index);
  if (trace != nullptr) {
    trace->sampling_locations = attended.sampling_locations;
    trace->attention_weights = attended.attention_weights;
  }
  const at::Tensor mean = scatter_add_hits(attended.output, hits) / hits.count.clamp_min(1.0).unsqueeze(-1);
  return residual + dropout->forward(output_proj->forward(mean));
}

}  // namespace occ::models
