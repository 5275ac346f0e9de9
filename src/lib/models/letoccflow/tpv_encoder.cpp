#include "models/letoccflow/tpv_encoder.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>

#include "core/error.h"
#include "nn/shape_text.h"

namespace occ::models {
namespace {

// TPVFormer's `eps` for the depth test and the perspective divide.
constexpr double kMinDepth = 1e-5;

// n positions at (i + 0.5) / n of the grid's range along `axis`, metres.
at::Tensor axis_positions(const GridSpec& grid, size_t axis, int64_t n) {
  const double extent = static_cast<double>(grid.shape[axis]) * grid.voxel_size_m[axis];
  return (at::arange(n, at::kDouble) + 0.5) * (extent / static_cast<double>(n)) + grid.origin_m[axis];
}

// Cell centres (i + 0.5) / n in [0, 1].
at::Tensor unit_centres(int64_t n) {
  return (at::arange(n, at::kFloat) + 0.5) / static_cast<float>(n);
}

// The own-plane coordinates of every query, [Q_p, 2] in [0, 1] as (row
// axis, column axis): HW (x, y), ZH (z, x), WZ (y, z).
at::Tensor plane_cell_coordinates(int64_t rows, int64_t cols) {
  return at::stack({unit_centres(rows).view({rows, 1}).expand({rows, cols}),
                    unit_centres(cols).view({1, cols}).expand({rows, cols})},
                   -1)
      .reshape({rows * cols, 2});
}

}  // namespace

at::Tensor cross_view_reference_points(const std::array<int64_t, 3>& tpv_shape, int64_t points) {
  const int64_t nx = tpv_shape[0], ny = tpv_shape[1], nz = tpv_shape[2];
  const at::Tensor along = unit_centres(points);  // [A] along the missing axis
  std::vector<at::Tensor> planes;
  // Normalised (x, y, z) of A pillar points per query, [Q_p, A, 3].
  const auto pillar = [&](const at::Tensor& cells, int row_axis, int col_axis, int missing_axis) {
    const int64_t q = cells.size(0);
    std::array<at::Tensor, 3> xyz;
    xyz[static_cast<size_t>(row_axis)] = cells.select(1, 0).view({q, 1}).expand({q, points});
    xyz[static_cast<size_t>(col_axis)] = cells.select(1, 1).view({q, 1}).expand({q, points});
    xyz[static_cast<size_t>(missing_axis)] = along.view({1, points}).expand({q, points});
    return at::stack({xyz[0], xyz[1], xyz[2]}, -1);
  };
  const std::array<at::Tensor, 3> pillars = {pillar(plane_cell_coordinates(nx, ny), 0, 1, 2),
                                             pillar(plane_cell_coordinates(nz, nx), 2, 0, 1),
                                             pillar(plane_cell_coordinates(ny, nz), 1, 2, 0)};
  for (const at::Tensor& p : pillars) {
    const at::Tensor x = p.select(-1, 0), y = p.select(-1, 1), z = p.select(-1, 2);
    // (column, row) on the levels HW [X rows, Y cols], ZH [Z, X], WZ [Y, Z].
    planes.push_back(at::stack({at::stack({y, x}, -1), at::stack({x, z}, -1), at::stack({z, y}, -1)}, 1));
  }
  return at::cat(planes, 0);
}

at::Tensor tpv_position_features(const std::array<int64_t, 3>& tpv_shape) {
  const int64_t nx = tpv_shape[0], ny = tpv_shape[1], nz = tpv_shape[2];
  const at::Tensor cells = at::cat(
      {plane_cell_coordinates(nx, ny), plane_cell_coordinates(nz, nx), plane_cell_coordinates(ny, nz)}, 0);
  // pi 2^k, k = -1..10 (12 frequencies) x 2 coordinates x (sin, cos) = 48.
  const at::Tensor frequencies = at::pow(2.0, at::arange(-1, 11, at::kFloat)) * static_cast<float>(M_PI);
  const at::Tensor angles = (cells.unsqueeze(-1) * frequencies).flatten(1);
  return at::cat({angles.sin(), angles.cos()}, 1);
}

at::Tensor tpv_to_volume(const TpvPlanes& planes) {
  return planes.hw.unsqueeze(-1) + planes.zh.permute({0, 1, 3, 2}).unsqueeze(3) + planes.wz.unsqueeze(2);
}

at::Tensor tpv_pillar_points(const GridSpec& grid, const std::array<int64_t, 3>& tpv_shape,
                             const std::array<int64_t, 3>& pillar_points, int plane) {
  const int64_t nx = tpv_shape[0], ny = tpv_shape[1], nz = tpv_shape[2];
  const int64_t depth = pillar_points[static_cast<size_t>(plane)];
  at::Tensor x, y, z;  // broadcastable to [rows, columns, depth]
  if (plane == 0) {    // HW: cells (x, y), points along z
    x = axis_positions(grid, 0, nx).view({nx, 1, 1}).expand({nx, ny, depth});
    y = axis_positions(grid, 1, ny).view({1, ny, 1}).expand({nx, ny, depth});
    z = axis_positions(grid, 2, depth).view({1, 1, depth}).expand({nx, ny, depth});
  } else if (plane == 1) {  // ZH: cells (z, x), points along y
    z = axis_positions(grid, 2, nz).view({nz, 1, 1}).expand({nz, nx, depth});
    x = axis_positions(grid, 0, nx).view({1, nx, 1}).expand({nz, nx, depth});
    y = axis_positions(grid, 1, depth).view({1, 1, depth}).expand({nz, nx, depth});
  } else if (plane == 2) {  // WZ: cells (y, z), points along x
    y = axis_positions(grid, 1, ny).view({ny, 1, 1}).expand({ny, nz, depth});
    z = axis_positions(grid, 2, nz).view({1, nz, 1}).expand({ny, nz, depth});
    x = axis_positions(grid, 0, depth).view({1, 1, depth}).expand({ny, nz, depth});
  } else {
    throw UsageError("TPV plane must be 0 (HW), 1 (ZH) or 2 (WZ), got " + std::to_string(plane));
  }
  return at::stack({x, y, z}, -1).reshape({-1, depth, 3}).to(at::kFloat);
}

CameraHits find_pillar_hits(const at::Tensor& pillar_points, const at::Tensor& intrinsics,
                            const at::Tensor& ego_from_camera, int64_t image_height, int64_t image_width) {
  if (pillar_points.dim() != 3 || pillar_points.size(2) != 3)
    throw UsageError("TPV image cross-attention: pillar points must be [Q, D, 3], got " +
                     nn::shape_text(pillar_points));
  at::NoGradGuard no_grad;
  CameraHits hits;
  hits.batch = intrinsics.size(0);
  hits.cameras = intrinsics.size(1);
  hits.queries = pillar_points.size(0);
  const int64_t depth_points = pillar_points.size(1);
  const at::Tensor camera_from_ego = at::inverse(ego_from_camera.to(at::kFloat));
  const at::Tensor rotation = camera_from_ego.slice(2, 0, 3).slice(3, 0, 3);
  const at::Tensor translation = camera_from_ego.slice(2, 0, 3).select(3, 3);
  const at::Tensor points = pillar_points.reshape({-1, 3}).to(camera_from_ego.options());
  // [B, N, Q*D, 3] in the camera frame, then homogeneous pixels.
  const at::Tensor in_camera = at::matmul(points, rotation.transpose(-1, -2)) + translation.unsqueeze(2);
  const at::Tensor pixels = at::matmul(in_camera, intrinsics.to(at::kFloat).transpose(-1, -2));
  const at::Tensor depth = pixels.select(-1, 2);
  const at::Tensor image_size =
      at::tensor({static_cast<float>(image_width), static_cast<float>(image_height)}, pixels.options());
  const at::Tensor normalised =
      pixels.slice(-1, 0, 2) / depth.clamp_min(kMinDepth).unsqueeze(-1) / image_size;
  const at::Tensor u = normalised.select(-1, 0), v = normalised.select(-1, 1);
  const at::Tensor point_hit = (depth > kMinDepth) & (u > 0) & (u < 1) & (v > 0) & (v < 1);
  hits.hit = point_hit.view({hits.batch, hits.cameras, hits.queries, depth_points}).any(-1);
  hits.count = hits.hit.sum(1).to(at::kFloat);

  // As find_camera_hits: a stable sort of "not hit" lists each row's hit
  // queries first, in query order.
  const int64_t rows = hits.batch * hits.cameras;
  const at::Tensor hit_rows = hits.hit.reshape({rows, hits.queries});
  const at::Tensor per_row = hit_rows.sum(1);
  const int64_t longest = std::max<int64_t>(1, per_row.max().item<int64_t>());
  const at::Tensor order =
      std::get<1>(at::sort(hit_rows.logical_not().to(at::kByte), c10::optional<bool>(true),
                           /*dim=*/1, /*descending=*/false));
  hits.valid = at::arange(longest, per_row.options()).unsqueeze(0) < per_row.unsqueeze(1);
  hits.query_index = order.slice(1, 0, longest).masked_fill(hits.valid.logical_not(), 0);
  hits.locations = normalised.reshape({rows, hits.queries, depth_points * 2})
                       .gather(1, hits.query_index.unsqueeze(-1).expand({rows, longest, depth_points * 2}))
                       .masked_fill(hits.valid.logical_not().unsqueeze(-1), 0.0)
                       .view({rows, longest, 1, depth_points, 2});
  return hits;
}

TpvEncoderImpl::TpvEncoderImpl(const TpvEncoderOptions& options, const GridSpec& grid) : options_(options) {
  const int64_t nx = options.tpv_shape[0], ny = options.tpv_shape[1], nz = options.tpv_shape[2];
  plane_queries_ = {nx * ny, nz * nx, ny * nz};
  const int64_t c = options.embed_dims;
  // nn.Embedding's N(0, 1), as TPVFormer's learnable plane queries.
  hw_queries_ = register_parameter("hw_queries", at::randn({plane_queries_[0], c}));
  zh_queries_ = register_parameter("zh_queries", at::randn({plane_queries_[1], c}));
  wz_queries_ = register_parameter("wz_queries", at::randn({plane_queries_[2], c}));
  level_embeds_ = register_parameter("level_embeds", at::randn({options.num_levels, c}));
  if (options.num_cameras > 0)
    camera_embeds_ = register_parameter("camera_embeds", at::randn({options.num_cameras, c}));
  const char* names[3] = {"hw_pillars", "zh_pillars", "wz_pillars"};
  for (int plane = 0; plane < 3; ++plane)
    pillars_[static_cast<size_t>(plane)] = register_buffer(
        names[plane], tpv_pillar_points(grid, options.tpv_shape, options.pillar_points, plane));

  cross_attention_ = register_module("cross_attention", torch::nn::ModuleList());
  norms_ = register_module("norms", torch::nn::ModuleList());
  ffn_in_ = register_module("ffn_in", torch::nn::ModuleList());
  ffn_out_ = register_module("ffn_out", torch::nn::ModuleList());
  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    for (size_t plane = 0; plane < 3; ++plane) {
      SpatialCrossAttentionOptions attention;
      attention.embed_dims = c;
      attention.num_heads = options.num_heads;
      attention.num_levels = options.num_levels;
      attention.num_points = options.pillar_points[plane];  // one per pillar point (anchor)
      attention.dropout = options.dropout;
      cross_attention_->push_back(SpatialCrossAttention(attention));
    }
    norms_->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({c})));
    norms_->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({c})));
    ffn_in_->push_back(torch::nn::Linear(c, options.ffn_dims));
    ffn_out_->push_back(torch::nn::Linear(options.ffn_dims, c));
  }
  if (options.cross_view) {
    cross_view_attention_ = register_module("cross_view_attention", torch::nn::ModuleList());
    cross_view_norms_ = register_module("cross_view_norms", torch::nn::ModuleList());
    for (int64_t layer = 0; layer < options.num_layers; ++layer) {
      nn::MultiScaleDeformableAttentionOptions attention;
      attention.embed_dims = c;
      attention.num_heads = options.num_heads;
      attention.num_levels = 3;  // the planes
      attention.num_points = options.cross_view_points;
      cross_view_attention_->push_back(nn::MultiScaleDeformableAttention(attention));
      cross_view_norms_->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({c})));
    }
    position_proj_ = register_module("position_proj", torch::nn::Linear(48, c));
    cross_view_reference_ = register_buffer(
        "cross_view_reference", cross_view_reference_points(options.tpv_shape, options.cross_view_points));
    position_features_ = register_buffer("position_features", tpv_position_features(options.tpv_shape));
  }
}

TpvPlanes TpvEncoderImpl::forward(const std::vector<at::Tensor>& levels, const at::Tensor& intrinsics,
                                  const at::Tensor& ego_from_camera, int64_t image_height,
                                  int64_t image_width) {
  if (static_cast<int64_t>(levels.size()) != options_.num_levels)
    throw UsageError("TPV encoder: " + std::to_string(levels.size()) + " feature levels for " +
                     std::to_string(options_.num_levels) + " (model.num_levels)");
  const int64_t cameras = intrinsics.size(1);
  if (options_.num_cameras > 0 && cameras != options_.num_cameras)
    throw UsageError("TPV encoder: the batch has " + std::to_string(cameras) + " cameras but the model has " +
                     std::to_string(options_.num_cameras) + " camera embeddings (model.camera_embeddings)");
  std::vector<at::Tensor> embedded;
  for (size_t level = 0; level < levels.size(); ++level) {
    at::Tensor features =
        levels[level] +
        level_embeds_[static_cast<int64_t>(level)].view({1, -1, 1, 1}).to(levels[level].dtype());
    if (options_.num_cameras > 0) {
      const auto shape = features.sizes().vec();
      features = (features.view({-1, cameras, shape[1], shape[2], shape[3]}) +
                  camera_embeds_.view({1, cameras, -1, 1, 1}).to(features.dtype()))
                     .view(shape);
    }
    embedded.push_back(features);
  }
  const CameraFeatures features = flatten_camera_features(embedded);
  std::array<CameraHits, 3> hits;
  for (size_t plane = 0; plane < 3; ++plane)
    hits[plane] = find_pillar_hits(pillars_[plane], intrinsics, ego_from_camera, image_height, image_width);

  const int64_t batch = intrinsics.size(0);
  std::array<at::Tensor, 3> queries = {hw_queries_.unsqueeze(0).expand({batch, -1, -1}),
                                       zh_queries_.unsqueeze(0).expand({batch, -1, -1}),
                                       wz_queries_.unsqueeze(0).expand({batch, -1, -1})};
  const double dropout = is_training() ? options_.dropout : 0.0;
  const int64_t nx = options_.tpv_shape[0], ny = options_.tpv_shape[1], nz = options_.tpv_shape[2];
  at::Tensor position, reference, plane_shapes, plane_starts;
  if (options_.cross_view) {
    position = position_proj_->forward(position_features_).unsqueeze(0);
    reference = cross_view_reference_.unsqueeze(0).expand({batch, -1, -1, -1, -1});
    const nn::LevelLayout layout = nn::make_level_layout({{nx, ny}, {nz, nx}, {ny, nz}});
    plane_shapes = layout.spatial_shapes.to(hw_queries_.device());
    plane_starts = layout.level_start_index.to(hw_queries_.device());
  }
  for (int64_t layer = 0; layer < options_.num_layers; ++layer) {
    if (options_.cross_view) {
      // The planes, flattened row-major in order, are both the queries and
      // the three levels of the values.
      const at::Tensor all = at::cat({queries[0], queries[1], queries[2]}, 1);
      const at::Tensor attended =
          cross_view_attention_->at<nn::MultiScaleDeformableAttentionImpl>(static_cast<size_t>(layer))
              .forward(all + position, reference, all, plane_shapes, plane_starts)
              .output;
      const at::Tensor updated = cross_view_norms_->at<torch::nn::LayerNormImpl>(static_cast<size_t>(layer))
                                     .forward(all + at::dropout(attended, dropout, is_training()));
      const auto parts =
          updated.split_with_sizes({plane_queries_[0], plane_queries_[1], plane_queries_[2]}, 1);
      for (size_t plane = 0; plane < 3; ++plane) queries[plane] = parts[plane];
    }
    for (size_t plane = 0; plane < 3; ++plane)
      queries[plane] = cross_attention_->at<SpatialCrossAttentionImpl>(static_cast<size_t>(layer * 3) + plane)
                           .forward(queries[plane], at::Tensor(), features, hits[plane]);
    at::Tensor all = at::cat({queries[0], queries[1], queries[2]}, 1);
    all = norms_->at<torch::nn::LayerNormImpl>(static_cast<size_t>(2 * layer)).forward(all);
    at::Tensor hidden = at::relu(ffn_in_->at<torch::nn::LinearImpl>(static_cast<size_t>(layer)).forward(all));
    hidden = at::dropout(hidden, dropout, is_training());
    hidden = at::dropout(ffn_out_->at<torch::nn::LinearImpl>(static_cast<size_t>(layer)).forward(hidden),
                         dropout, is_training());
    all = norms_->at<torch::nn::LayerNormImpl>(static_cast<size_t>(2 * layer + 1)).forward(all + hidden);
    const auto parts = all.split_with_sizes({plane_queries_[0], plane_queries_[1], plane_queries_[2]}, 1);
    for (size_t plane = 0; plane < 3; ++plane) queries[plane] = parts[plane];
  }
  const auto to_plane = [&](const at::Tensor& q, int64_t rows, int64_t cols) {
    return q.transpose(1, 2).reshape({batch, options_.embed_dims, rows, cols});
  };
  return {to_plane(queries[0], nx, ny), to_plane(queries[1], nz, nx), to_plane(queries[2], ny, nz)};
}

}  // namespace occ::models
