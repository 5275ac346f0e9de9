#include "models/letoccflow/temporal_volume_fusion.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "nn/shape_text.h"

namespace occ::models {

TemporalVolumeFusionImpl::TemporalVolumeFusionImpl(const TemporalVolumeFusionOptions& options)
    : options_(options) {
  if (options.mode == TemporalMode::none) throw UsageError("temporal fusion: built for mode none");
  if (options.history_frames < 1)
    throw UsageError("temporal fusion: history_frames must be at least 1, got " +
                     std::to_string(options.history_frames));
  if (options.mode == TemporalMode::concat_conv) {
    TemporalFusionOptions block;
    block.embed_dims = options.embed_dims;
    block.history_frames = options.history_frames;
    concat_block = register_module("concat_block", TemporalFusion(block));
    return;
  }
  TemporalBevAttentionOptions attention;
  attention.embed_dims = options.embed_dims;
  attention.num_heads = options.num_heads;
  attention.num_points = options.num_points;
  if (options.mode == TemporalMode::backward_forward) {
    backward_attention = register_module("backward_attention", torch::nn::ModuleList());
    for (int64_t i = 0; i < options.history_frames; ++i)
      backward_attention->push_back(TemporalBevAttention(attention));
  }
  forward_attention = register_module("forward_attention", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.history_frames; ++i)
    forward_attention->push_back(TemporalBevAttention(attention));
  if (options.mode == TemporalMode::backward_forward)
    combine =
        register_module("combine", torch::nn::Conv3d(torch::nn::Conv3dOptions(options.embed_dims, 1, 1)));
}

at::Tensor TemporalVolumeFusionImpl::attend_queue(const at::Tensor& queue, int64_t rows, int64_t cols,
                                                  bool with_backward) {
  const int64_t frames = queue.size(1);  // T + 1
  std::vector<at::Tensor> maps;
  for (int64_t i = 0; i < frames; ++i) maps.push_back(queue.select(1, i));
  if (with_backward) {
    // Backward pass, from the current map towards the oldest: each earlier
    // map attends to {its already-updated successor, itself}.
    for (int64_t i = 0; i + 1 < frames; ++i)
      maps[static_cast<size_t>(i + 1)] =
          backward_attention->at<TemporalBevAttentionImpl>(static_cast<size_t>(i))
              .forward(maps[static_cast<size_t>(i + 1)], maps[static_cast<size_t>(i)], rows, cols);
  }
  // Forward pass, from the oldest map back to the current one.
  at::Tensor carried = maps.back();
  for (int64_t i = frames - 1; i >= 1; --i)
    carried = forward_attention->at<TemporalBevAttentionImpl>(static_cast<size_t>(i - 1))
                  .forward(maps[static_cast<size_t>(i - 1)], carried, rows, cols);
  return carried;
}

at::Tensor TemporalVolumeFusionImpl::forward(const at::Tensor& current, const at::Tensor& history) {
  const int64_t t = options_.history_frames, c = options_.embed_dims;
  if (current.dim() != 5 || current.size(1) != c || history.dim() != 6 ||
      history.size(0) != current.size(0) || history.size(1) != t ||
      history.sizes().slice(2) != current.sizes().slice(1))
    throw UsageError("temporal fusion: current must be [B, " + std::to_string(c) +
                     ", X, Y, Z] and history [B, " + std::to_string(t) + ", " + std::to_string(c) +
                     ", X, Y, Z], got " + nn::shape_text(current) + " and " + nn::shape_text(history));
  if (options_.mode == TemporalMode::concat_conv) return concat_block->forward(current, history);
  const int64_t b = current.size(0), x = current.size(2), y = current.size(3), z = current.size(4);
  const at::Tensor queue = at::cat({current.unsqueeze(1), history}, 1);  // [B, T+1, C, X, Y, Z]
  // [B', T+1, C, X, Y] -> [B', T+1, X*Y, C]
  const auto bev_queue = [&](const at::Tensor& maps) {
    return maps.permute({0, 1, 3, 4, 2}).reshape({maps.size(0), t + 1, x * y, c});
  };
  const at::Tensor pooled = bev_queue(queue.mean(-1));  // the global slice
  if (options_.mode == TemporalMode::bev_forward) {
    const at::Tensor fused = attend_queue(pooled, x, y, false).view({b, x, y, c}).permute({0, 3, 1, 2});
    return current + fused.unsqueeze(-1);
  }
  // Per-z slices [B*Z, T+1, X*Y, C] after the global one, as one batch.
  const at::Tensor slices = bev_queue(queue.permute({0, 5, 1, 2, 3, 4}).reshape({b * z, t + 1, c, x, y}));
  const at::Tensor fused = attend_queue(at::cat({pooled, slices}, 0), x, y, true);
  const at::Tensor global = fused.narrow(0, 0, b).view({b, x, y, c}).permute({0, 3, 1, 2});
  const at::Tensor volume = fused.narrow(0, b, b * z).view({b, z, x, y, c}).permute({0, 4, 2, 3, 1});
  return volume + at::sigmoid(combine->forward(volume)) * global.unsqueeze(-1);
}

}  // namespace occ::models
