#pragma once
// Let Occ Flow's tri-perspective-view (TPV) encoder, after TPVFormer (Huang
// et al., CVPR 2023) as ../shared/reference/letoccflow.md ("TPV encoder")
// summarises it: three planes of learnable queries, HW (x, y; the BEV plane),
// ZH (z, x) and WZ (y, z), each cell a pillar of points along the plane's
// missing axis; every layer lets the queries attend to the multi-camera FPN
// features at the pillar points projected into the cameras (image
// cross-attention: one deformable-attention sampling point per head, level
// and pillar point; a query counts the cameras that see any of its points),
// then norm, FFN, norm. With cross_view, every layer starts with TPVFormer's
// cross-view hybrid attention: deformable attention whose three "levels" are
// the three planes, each query sampling around the points of its own cell's
// pillar (cross_view_points along the missing axis) seen on every plane,
// with the TPV positional encoding added to the attending query; then norm.
// The planes are turned into a volume by broadcasting each along its missing
// axis and summing.
//
// Not built (docs/letoccflow.md): the camera embedding (so one model serves
// rigs of any camera count).
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>
#include <vector>

#include "models/batch.h"
#include "models/spatial_cross_attention.h"

namespace occ::models {

struct TpvEncoderOptions {
  int64_t embed_dims = 192;
  int64_t num_heads = 6;
  int64_t num_levels = 4;
  int64_t ffn_dims = 384;
  double dropout = 0.1;
  int64_t num_layers = 4;
  std::array<int64_t, 3> tpv_shape{100, 100, 10};   // cells along x, y, z
  std::array<int64_t, 3> pillar_points{8, 48, 48};  // HW along z, ZH along y, WZ along x
  bool cross_view = true;                           // cross-view hybrid attention first in every layer
  int64_t cross_view_points = 12;  // pillar points (= sampling points per head and plane) of it
  // > 0: a learnable N(0, 1) embedding per camera added to the image features
  // with the level embedding (TPVFormer's cams_embeds); the batch must have
  // exactly this many cameras. 0: none.
  int64_t num_cameras = 0;
};

// Reference points of the cross-view hybrid attention, [Q, 3, A, 2] for the
// queries of all planes in order (HW, ZH, WZ): for each plane (level) the
// (column, row) position in [0, 1] of A points of the query's own pillar,
// its cell centre on the two axes of its plane and (k + 0.5) / A along the
// missing one (the reference's z_k; on the query's own plane all A coincide).
at::Tensor cross_view_reference_points(const std::array<int64_t, 3>& tpv_shape, int64_t points);

// The TPV positional encoding, [Q, 48] for the queries of all planes: the
// two normalised cell coordinates of each query on its plane at frequencies
// pi 2^k, k = -1..10, sin and cos (a Linear(48, C) follows).
at::Tensor tpv_position_features(const std::array<int64_t, 3>& tpv_shape);

// The TPV planes of a batch: hw [B, C, X, Y], zh [B, C, Z, X], wz [B, C, Y, Z].
struct TpvPlanes {
  at::Tensor hw, zh, wz;
};

// [B, C, X, Y, Z] = hw broadcast along z + zh along y + wz along x.
at::Tensor tpv_to_volume(const TpvPlanes& planes);

// Pillar points of plane p (0 HW, 1 ZH, 2 WZ) over the metric range of `grid`,
// [Q_p, D_p, 3] metres of the ego frame, queries flat in the plane's (row,
// column) order: HW x*Y + y with D = points along z, ZH z*X + x along y, WZ
// y*Z + z along x; points at linspace(0.5, D - 0.5, D) / D of the range
// (TPVFormer's get_reference_points), cell centres on the other two axes.
at::Tensor tpv_pillar_points(const GridSpec& grid, const std::array<int64_t, 3>& tpv_shape,
                             const std::array<int64_t, 3>& pillar_points, int plane);

// Camera hits of pillars: a query is seen by a camera when any of its points
// projects with depth > 1e-5 strictly inside the image; `locations` are
// [B*N, L, 1, D, 2] (every point of each hit query, in [0, 1] image
// coordinates, outside points included as TPVFormer samples them), the
// anchor layout deformable attention takes as reference points.
CameraHits find_pillar_hits(const at::Tensor& pillar_points, const at::Tensor& intrinsics,
                            const at::Tensor& ego_from_camera, int64_t image_height, int64_t image_width);

class TpvEncoderImpl : public torch::nn::Module {
 public:
  TpvEncoderImpl(const TpvEncoderOptions& options, const GridSpec& grid);

  // levels: FPN outputs [B*N, C, H_l, W_l]; intrinsics [B, N, 3, 3] in
  // pixels of an image_height x image_width image; ego_from_camera [B, N, 4,
  // 4] (camera to the current ego frame).
  TpvPlanes forward(const std::vector<at::Tensor>& levels, const at::Tensor& intrinsics,
                    const at::Tensor& ego_from_camera, int64_t image_height, int64_t image_width);

  const TpvEncoderOptions& options() const { return options_; }

 private:
  TpvEncoderOptions options_;
  std::array<int64_t, 3> plane_queries_{};
  at::Tensor hw_queries_, zh_queries_, wz_queries_;  // [Q_p, C] learnable
  at::Tensor level_embeds_;                          // [levels, C] added to the features
  at::Tensor camera_embeds_;                         // [num_cameras, C] (num_cameras > 0)
  std::array<at::Tensor, 3> pillars_;                // buffers [Q_p, D_p, 3]
  // Per layer: one image cross-attention per plane (their pillar point counts
  // differ), then norm, FFN, norm shared by the planes (TPVFormer's layer).
  torch::nn::ModuleList cross_attention_{nullptr};
  torch::nn::ModuleList norms_{nullptr};
  torch::nn::ModuleList ffn_in_{nullptr}, ffn_out_{nullptr};
  // Cross-view hybrid attention per layer, its norm, and the positional
  // encoding's projection (registered only with cross_view).
  torch::nn::ModuleList cross_view_attention_{nullptr}, cross_view_norms_{nullptr};
  torch::nn::Linear position_proj_{nullptr};
  at::Tensor cross_view_reference_, position_features_;  // buffers
};
TORCH_MODULE(TpvEncoder);

}  // namespace occ::models
