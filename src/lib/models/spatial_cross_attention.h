#pragma once
// Spatial cross-attention of voxel queries into multi-camera image features,
// as BEVFormer's SpatialCrossAttention (Li et al., ECCV 2022) used by PanoOcc
// with one reference point per voxel centre (protoocc.md, "Baseline
// architecture"): each query is projected into every camera; per camera the
// hit queries are gathered into a padded batch [B*N, L, d], deformable
// attention runs once over that camera's feature levels, the results are
// scatter-added back and divided by the number of cameras that saw the query,
// then output projection, dropout and the residual.
//
// The projection, the gathering and the scattering are free functions so that
// ProtoOcc can work on the gathered queries (see QueryHook) and splat the
// returned sampling locations.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "models/batch.h"
#include "nn/deformable_attention.h"

namespace occ::models {

// Centres of a query volume of `query_shape` voxels spanning the metric range
// of `grid`, in metres of the ego frame, [X*Y*Z, 3] float, flat index
// (x*Y + y)*Z + z: along z, linspace(0.5, Z-0.5, Z)/Z of the height range
// with Z the query count (CHOSEN, protoocc.md). PanoOcc's code
// (OccupancyEncoder.get_reference_points) passes the height in metres as Z,
// i.e. linspace(0.5 m, H - 0.5 m, Z) above the floor: 0.5 m margins instead
// of half a query voxel (Occ3D: -0.5..4.9 m instead of -0.8..5.2 m).
at::Tensor voxel_query_centres(const GridSpec& grid, const std::array<int64_t, 3>& query_shape);

// Which queries each camera sees and where, with the hit queries of every
// (frame, camera) pair gathered into rows of a padded batch.
struct CameraHits {
  int64_t batch = 0;    // B
  int64_t cameras = 0;  // N
  int64_t queries = 0;  // Q
  at::Tensor hit;       // [B, N, Q] bool: depth > 1e-5 and inside the image
  at::Tensor count;     // [B, Q] float: cameras that see each query
  // Row b*N + n lists the queries camera n of frame b sees, in increasing
  // order, padded to the longest row L (at least 1).
  at::Tensor query_index;  // [B*N, L] int64 (padding: 0)
  at::Tensor valid;        // [B*N, L] bool (false: padding)
  at::Tensor locations;    // [B*N, L, 2] (x, y) normalised image coordinates of each hit (padding: 0)
};

// Projects `points_in_ego` [Q, 3] (metres) into every camera:
// pixel = K * camera_from_ego * point with camera_from_ego = inverse of
// ego_from_camera ([B, N, 4, 4]), intrinsics [B, N, 3, 3] in pixels of an
// image_height x image_width image. A point is a hit when its depth exceeds
// 1e-5 and its normalised coordinates lie strictly inside (0, 1).
CameraHits find_camera_hits(const at::Tensor& points_in_ego, const at::Tensor& intrinsics,
                            const at::Tensor& ego_from_camera, int64_t image_height, int64_t image_width);

// per_query [B, Q, ...] -> [B*N, L, ...] (padding rows zero).
at::Tensor gather_hits(const at::Tensor& per_query, const CameraHits& hits);
// per_hit [B*N, L, ...] -> [B, Q, ...], the sum over the cameras that hit each
// query (padding ignored).
at::Tensor scatter_add_hits(const at::Tensor& per_hit, const CameraHits& hits);

// Multi-level features of every camera flattened for deformable attention.
struct CameraFeatures {
  at::Tensor value;              // [B*N, S, d], S = sum over levels of H_l*W_l
  at::Tensor spatial_shapes;     // int64 [levels, 2] (H_l, W_l)
  at::Tensor level_start_index;  // int64 [levels]
};
// levels: [B*N, d, H_l, W_l] each, fine to coarse.
CameraFeatures flatten_camera_features(const std::vector<at::Tensor>& levels);

// What one cross-attention call did, for ProtoOcc's prototype splatting.
struct SpatialCrossAttentionTrace {
  // [B*N, L, heads, levels, points, 2] (x, y) in [0, 1] of each camera's
  // levels, rows as in CameraHits (padding rows included: mask with
  // CameraHits::valid).
  at::Tensor sampling_locations;
  at::Tensor attention_weights;  // [B*N, L, heads, levels, points], softmaxed
};

// Called on the gathered queries (query + position, [B*N, L, d]) before they
// enter deformable attention; returns the queries to use instead (ProtoOcc's
// prototype mapping).
using GatheredQueryHook =
    std::function<at::Tensor(const at::Tensor& gathered_queries, const CameraHits& hits)>;

struct SpatialCrossAttentionOptions {
  int64_t embed_dims = 256;
  int64_t num_heads = 8;
  int64_t num_levels = 5;
  int64_t num_points = 8;
  double dropout = 0.1;
};

class SpatialCrossAttentionImpl : public torch::nn::Module {
 public:
  explicit SpatialCrossAttentionImpl(const SpatialCrossAttentionOptions& options = {});

  // query, query_pos [B, Q, d] (query_pos may be undefined); returns
  // query + dropout(output_proj(mean over hitting cameras of MSDA)). Queries
  // no camera sees get query + dropout(output_proj(0)).
  at::Tensor forward(const at::Tensor& query, const at::Tensor& query_pos, const CameraFeatures& features,
                     const CameraHits& hits, SpatialCrossAttentionTrace* trace = nullptr,
                     const GatheredQueryHook& hook = nullptr);

  const SpatialCrossAttentionOptions& options() const { return options_; }

  // With a hook: false (default) the residual is the query, so the hook's
  // queries only steer the deformable attention's offsets and weights; true:
  // the residual also adds the hook's change (returned minus gathered),
  // averaged over the cameras that hit each query (ProtoOcc's
  // model.proto_residual = "mapped"). No parameters depend on it.
  void set_hook_enters_residual(bool enters) { hook_enters_residual_ = enters; }

  // Value projection, sampling offsets and attention weights (its own output
  // projection is one more linear map before the average; BEVFormer's
  // MSDeformableAttention3D has none, so this adds d*d + d parameters).
  nn::MultiScaleDeformableAttention deformable_attention{nullptr};
  torch::nn::Linear output_proj{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  SpatialCrossAttentionOptions options_;
  bool hook_enters_residual_ = false;
};
TORCH_MODULE(SpatialCrossAttention);

}  // namespace occ::models
