#pragma once
// Let Occ Flow's temporal deformable attention between two BEV maps (the
// released code's TemporalBEVAttention, used by its AFFM; paper Alg. 1,
// ../shared/reference/letoccflow.md "Temporal fusion"): a query BEV attends
// to a pair {other, itself} of BEV maps of the same shape. Sampling offsets
// and attention weights are predicted from concat(other, query) (2C), for
// each of the two maps separately (softmax over the points of one map and
// head); the two sampled results are averaged, projected, scaled by a
// learnable beta and added to the query:
//   out = query + beta * proj(mean_m DAttn_m(query; map_m)).
// The sampling itself is the fused multi-scale deformable attention kernel
// (nn/deformable_attention.h): the two maps are its two "levels" and each
// map's softmaxed weights are halved, which is the mean of two single-map
// attentions (the kernel sums over levels).
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace occ::models {

struct TemporalBevAttentionOptions {
  int64_t embed_dims = 192;
  int64_t num_heads = 6;         // LOF: 6
  int64_t num_points = 8;        // LOF: 8 per head and map, one level
  double beta_init = 1.0;        // the reference's gamma starts at 1
  bool use_fused_kernel = true;  // CPU tensors only; elsewhere the grid_sample reference
};

class TemporalBevAttentionImpl : public torch::nn::Module {
 public:
  explicit TemporalBevAttentionImpl(const TemporalBevAttentionOptions& options = {});

  // query, other [N, H*W, C]: BEV maps flattened row-major over (H, W) =
  // (bev_rows, bev_cols); each query's reference point is its own cell
  // centre on both maps. Returns [N, H*W, C].
  at::Tensor forward(const at::Tensor& query, const at::Tensor& other, int64_t bev_rows, int64_t bev_cols);

  const TemporalBevAttentionOptions& options() const { return options_; }

  torch::nn::Linear sampling_offsets{nullptr}, attention_weights{nullptr}, value_proj{nullptr},
      output_proj{nullptr};
  at::Tensor beta;  // [1]

 private:
  TemporalBevAttentionOptions options_;
};
TORCH_MODULE(TemporalBevAttention);

// Cell centres of an H x W map as (x = column, y = row) in [0, 1], [H*W, 2].
at::Tensor bev_reference_points(int64_t rows, int64_t cols, const at::TensorOptions& options);

}  // namespace occ::models
