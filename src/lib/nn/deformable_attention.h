#pragma once
// Multi-scale deformable attention (MSDA), Deformable DETR (Zhu et al.,
// "Deformable DETR: Deformable Transformers for End-to-End Object Detection",
// ICLR 2021, eq. 3): every query attends to a few sampled points per head and
// per feature level, at locations predicted from the query, and mixes them with
// attention weights softmaxed over levels x points.
//
// Tensor conventions (those of the common PyTorch fallback
// `multi_scale_deformable_attn_pytorch` of mmcv / Deformable-DETR):
//   value               [B, S, heads, C/heads], S = sum over levels of H_l*W_l,
//                       levels stacked in order, each level row-major (H_l, W_l)
//   spatial_shapes      int64 [levels, 2] holding (H_l, W_l)
//   level_start_index   int64 [levels], offset of each level along S
//   sampling_locations  [B, Q, heads, levels, points, 2] as (x, y), normalised
//                       to [0, 1] over each level (0 and 1 are the outer pixel
//                       edges: grid_sample with align_corners=False)
//   attention_weights   [B, Q, heads, levels, points]
//   result              [B, Q, C]
// Samples are bilinear with zero padding, so points outside a level add 0.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "core/error.h"

namespace occ::nn {

// Inputs of deformable attention whose shapes, dtypes or devices disagree.
class DeformableAttentionError : public Error {
 public:
  using Error::Error;
};

// The reference: one at::grid_sampler call per level, then the weighted sum.
// Differentiable through LibTorch's own autograd; works on any device.
at::Tensor msda_reference(const at::Tensor& value, const at::Tensor& spatial_shapes,
                          const at::Tensor& level_start_index, const at::Tensor& sampling_locations,
                          const at::Tensor& attention_weights);

// The fused CPU kernel: bilinear sampling and the weighted sum in one pass
// (no [B*heads, C/heads, Q, levels*points] intermediate), with a hand-written
// backward giving gradients for value, sampling_locations and
// attention_weights (a custom autograd function). Same semantics as
// msda_reference. float or double CPU tensors. The backward is first order
// only: asking for a graph of the gradients (create_graph=true) throws.
at::Tensor msda_fused(const at::Tensor& value, const at::Tensor& spatial_shapes,
                      const at::Tensor& level_start_index, const at::Tensor& sampling_locations,
                      const at::Tensor& attention_weights);

// Deformable-DETR's level bookkeeping from a list of (H, W): spatial_shapes
// [levels, 2] and level_start_index [levels], both int64 on the CPU.
struct LevelLayout {
  at::Tensor spatial_shapes;
  at::Tensor level_start_index;
};
LevelLayout make_level_layout(const std::vector<std::pair<int64_t, int64_t>>& shapes_hw);

// Deformable DETR's initial sampling offsets [heads, levels, points, 2]:
// head h looks along angle 2*pi*h/heads scaled so its larger component is 1
// (a ring on the unit square), point i at distance i+1, the same on every level.
at::Tensor deformable_detr_offset_grid(int64_t heads, int64_t levels, int64_t points);

// Deformable DETR's initialisation of the four linear layers around a
// sampling step (its MSDeformAttn._reset_parameters): zero offset weights and
// `offset_bias` (an offset grid, flattened) as their bias, uniform attention
// (zero weights and bias), Xavier-uniform value and output projections with
// zero biases. Draws from the generator in that order.
void reset_deformable_linears(torch::nn::Linear& sampling_offsets, const at::Tensor& offset_bias,
                              torch::nn::Linear& attention_weights, torch::nn::Linear& value_proj,
                              torch::nn::Linear& output_proj);

struct MultiScaleDeformableAttentionOptions {
  // Channels of queries, values and the output (256 in PanoOcc/ProtoOcc).
  int64_t embed_dims = 256;
  // Attention heads; embed_dims must be divisible by it.
  int64_t num_heads = 8;
  // Feature levels the sampling-offset and attention-weight layers predict
  // for; the value passed to forward must have exactly this many levels.
  int64_t num_levels = 4;
  // Sampled points per head and level.
  int64_t num_points = 4;
  // true: the fused CPU kernel (CPU tensors only; other devices fall back to
  // the reference). false: always the grid_sample reference.
  bool use_fused_kernel = true;
};

// What forward returns. The locations and weights are the exact tensors the
// kernel consumed (ProtoOcc splats them onto the image grid).
struct MultiScaleDeformableAttentionOutput {
  at::Tensor output;              // [B, Q, embed_dims]
  at::Tensor sampling_locations;  // [B, Q, heads, levels, points, 2], (x, y) in [0, 1]
  at::Tensor attention_weights;   // [B, Q, heads, levels, points], softmaxed
};

// The Deformable-DETR attention block: value projection, per-query sampling
// offsets and attention weights from linear layers, MSDA, output projection.
// No dropout or residual: callers add them where their architecture wants.
class MultiScaleDeformableAttentionImpl : public torch::nn::Module {
 public:
  explicit MultiScaleDeformableAttentionImpl(const MultiScaleDeformableAttentionOptions& options = {});

  // Deformable DETR's initialisation (`_reset_parameters`): zero offset
  // weights with biases on a ring of num_heads directions, scaled by point
  // index (point i sits i+1 pixels away); zero attention weights and biases
  // (uniform attention); Xavier-uniform projections with zero biases.
  void reset_parameters();

  // query            [B, Q, embed_dims]
  // reference_points (x, y) normalised to [0, 1], one of
  //                  [B, Q, 2]          one point per query (Deformable DETR),
  //                  [B, Q, levels, 2]  one per query and level (e.g. TPV planes),
  //                  [B, Q, levels or 1, anchors, 2]  several anchors (e.g. BEVFormer's
  //                  pillar heights): num_points must be a multiple of anchors, and
  //                  point p is offset from anchor p % anchors.
  // value            [B, S, embed_dims] with S = sum of H_l*W_l
  // value_padding_mask optional bool [B, S]; true marks padding (zeroed values)
  // Sampling offsets are in pixels of each level: they are divided by the
  // level's (W, H) before being added to the reference points.
  MultiScaleDeformableAttentionOutput forward(const at::Tensor& query, const at::Tensor& reference_points,
                                              const at::Tensor& value, const at::Tensor& spatial_shapes,
                                              const at::Tensor& level_start_index,
                                              const at::Tensor& value_padding_mask = {});

  const MultiScaleDeformableAttentionOptions& options() const { return options_; }

  torch::nn::Linear sampling_offsets{nullptr};
  torch::nn::Linear attention_weights{nullptr};
  torch::nn::Linear value_proj{nullptr};
  torch::nn::Linear output_proj{nullptr};

 private:
  MultiScaleDeformableAttentionOptions options_;
};
TORCH_MODULE(MultiScaleDeformableAttention);

}  // namespace occ::nn
