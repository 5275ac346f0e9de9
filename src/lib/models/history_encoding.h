#pragma once
// History volumes for temporal models (PanoOcc's obtain_history_bev, Let Occ
// Flow's queue of earlier frames): every valid history keyframe of a batch
// encoded by the model's own per-frame encoder, without gradients and with
// its modules in eval mode (no dropout, BN running statistics; their
// training flags are restored afterwards), each frame on its own, then
// warped into the current ego frame (align_history_volume).
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/batch.h"

namespace occ::models {

struct HistoryVolumes {
  at::Tensor volumes;  // [B, T, C, X, Y, Z]; zeros where not valid (or not encoded)
  at::Tensor valid;    // [B, T] bool, on the volumes' device
};

// One frame's volume [B', C, X, Y, Z] from its images [B', N, 3, H, W],
// intrinsics and ego_from_camera.
using FrameEncoder = std::function<at::Tensor(const at::Tensor& images, const at::Tensor& intrinsics,
                                              const at::Tensor& ego_from_camera)>;

struct HistoryEncoding {
  int64_t frames = 0;                     // T the batch must carry
  int64_t encoded = 0;                    // the first `encoded` of them are encoded (the rest stay zero)
  std::array<int64_t, 4> volume_shape{};  // C, X, Y, Z of an encoded volume
  std::string who;                        // names the model (and its key) in errors
};

// Throws UsageError naming `encoding.who` when the batch lacks the history
// fields or their shapes disagree with `frames` and the batch's images.
HistoryVolumes encode_history_volumes(const Batch& batch, const HistoryEncoding& encoding,
                                      const GridSpec& grid,
                                      const std::vector<std::shared_ptr<torch::nn::Module>>& eval_modules,
                                      const FrameEncoder& encode_frame);

}  // namespace occ::models
