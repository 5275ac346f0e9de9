#pragma once
// Let Occ Flow's temporal fusion of the current TPV volume with the volumes
// of earlier keyframes (paper Alg. 1 and App. B, Table 4; the released
// code's AFFM / FWD_ATTN and TPVSegmentor.forward;
// ../shared/reference/letoccflow.md "Temporal fusion"). The history volumes
// come already warped into the current ego frame (history_encoding.h,
// align_history_volume) and filled where a frame is missing.
//
// Modes (model.temporal):
//  - backward_forward (the paper's): the queue {V_0 = current, V_1, ..., V_T}
//    is cut into per-z BEV slices plus one global slice (the mean over z);
//    every slice stack runs the backward pass (oldest-ward:
//    B_{i+1} <- attn_i(B_{i+1}; {B_i, B_{i+1}})) then the forward pass
//    (B_{i-1} <- attn'(B_{i-1}; {B_i, B_{i-1}}) back to the current one), with
//    a TemporalBevAttention per step (2T in all); the fused per-z volume V
//    and global slice B_g combine as V' = V + sigmoid(conv1x1(V)) * B_g.
//  - bev_forward: the volumes are mean-pooled over z to one BEV map each, the
//    forward pass alone runs from the oldest to the current map, and the
//    result is broadcast along z and added to the current volume.
//  - concat_conv: concat(current, history) along channels and PanoOcc's 3D
//    bottleneck block (models/temporal_fusion.h: the same math, not a copy).
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "models/letoccflow/temporal_bev_attention.h"
#include "models/letoccflow/temporal_mode.h"
#include "models/temporal_fusion.h"

namespace occ::models {

struct TemporalVolumeFusionOptions {
  TemporalMode mode = TemporalMode::backward_forward;
  int64_t embed_dims = 192;
  int64_t history_frames = 2;  // T (LOF: a queue of 3 = t, t-1, t-2)
  int64_t num_heads = 6;
  int64_t num_points = 8;
};

class TemporalVolumeFusionImpl : public torch::nn::Module {
 public:
  explicit TemporalVolumeFusionImpl(const TemporalVolumeFusionOptions& options);

  // current [B, C, X, Y, Z]; history [B, T, C, X, Y, Z] aligned to the
  // current frame, t = 0 the nearest. Returns [B, C, X, Y, Z].
  at::Tensor forward(const at::Tensor& current, const at::Tensor& history);

  const TemporalVolumeFusionOptions& options() const { return options_; }

  torch::nn::ModuleList backward_attention{nullptr}, forward_attention{nullptr};
  torch::nn::Conv3d combine{nullptr};  // backward_forward: C -> 1, the gate of B_g
  TemporalFusion concat_block{nullptr};

 private:
  // Queue [N, T+1, H*W, C] (index 0 the current map) -> [N, H*W, C].
  at::Tensor attend_queue(const at::Tensor& queue, int64_t rows, int64_t cols, bool with_backward);

  TemporalVolumeFusionOptions options_;
};
TORCH_MODULE(TemporalVolumeFusion);

}  // namespace occ::models
