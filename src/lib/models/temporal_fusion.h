#pragma once
// Temporal fusion of history voxel volumes (PanoOcc, Robertwyq/PanoOcc:
// PanoOccTransformer.align_prev_bev and OccTemporalEncoder with block_type
// "c3d"; protoocc.md, "Temporal (optional)"): every history volume is warped
// into the current ego frame with the ego motion, then the current volume and
// the warped history are concatenated along channels and fused by one 3D
// bottleneck block.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>

#include "models/batch.h"

namespace occ::models {

struct AlignedVolume {
  at::Tensor volume;  // [B, C, X, Y, Z] the history resampled at the current query centres
  at::Tensor inside;  // [B, X, Y, Z] bool: the centre landed inside the history volume's extent
};

// volume [B, C, X, Y, Z]: one history frame's query volume over `grid`'s
// metric range (X, Y, Z = query_shape, voxel_query_centres' layout);
// history_from_current [B, 4, 4]: maps a current-ego point to that frame's
// ego frame. Each current query centre is moved into the history frame and
// the history volume is sampled there trilinearly (grid_sample,
// align_corners=false: normalised -1 and 1 are the outer faces of the edge
// voxels, so a centre maps exactly onto a voxel centre), zeros outside.
// Positions are computed in double. Throws UsageError for bad shapes.
AlignedVolume align_history_volume(const at::Tensor& volume, const at::Tensor& history_from_current,
                                   const GridSpec& grid, const std::array<int64_t, 3>& query_shape);

struct TemporalFusionOptions {
  int64_t embed_dims = 256;
  int64_t history_frames = 3;  // T: the block reads (T + 1) * embed_dims channels
};

// PanoOcc's temporal block (OccTemporalEncoder "c3d", num_block 1, i.e. its
// residual_block_3d.Bottleneck with a downsample branch): 1x1x1 conv
// (T+1)C -> C, BN, ReLU; 3x3x3 conv C -> C, BN, ReLU; 1x1x1 conv C -> C, BN;
// plus the shortcut 1x1x1 conv (T+1)C -> C, BN; ReLU of the sum. Convolutions
// have no bias; Kaiming-normal init (fan_out, ReLU) and BN weight 1, as
// PanoOcc's init_weights.
class TemporalFusionImpl : public torch::nn::Module {
 public:
  explicit TemporalFusionImpl(const TemporalFusionOptions& options = {});

  // current [B, C, X, Y, Z], history [B, T, C, X, Y, Z] already aligned to the
  // current frame, t = 0 the nearest. The input is concat(current, history
  // t = 0..T-1) along channels (CHOSEN order; PanoOcc stacks the oldest
  // first and the current last: with learned weights only a convention).
  at::Tensor forward(const at::Tensor& current, const at::Tensor& history);

  const TemporalFusionOptions& options() const { return options_; }

  torch::nn::Conv3d reduce{nullptr}, spatial{nullptr}, expand{nullptr}, shortcut{nullptr};
  torch::nn::BatchNorm3d reduce_norm{nullptr}, spatial_norm{nullptr}, expand_norm{nullptr},
      shortcut_norm{nullptr};

 private:
  TemporalFusionOptions options_;
};
TORCH_MODULE(TemporalFusion);

}  // namespace occ::models
