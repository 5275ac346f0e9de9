#include "models/history_encoding.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <utility>

#include "core/error.h"
#include "models/temporal_fusion.h"
#include "nn/shape_text.h"

namespace occ::models {
namespace {

// Switches modules to eval mode and restores each one's own flag on exit
// (also when an exception leaves the scope).
class EvalModeScope {
 public:
  explicit EvalModeScope(std::vector<std::shared_ptr<torch::nn::Module>> modules)
      : modules_(std::move(modules)) {
    for (const auto& module : modules_) {
      was_training_.push_back(module->is_training());
      module->eval();
    }
  }
  ~EvalModeScope() {
    for (size_t i = 0; i < modules_.size(); ++i)
      if (was_training_[i]) modules_[i]->train(true);
  }
  EvalModeScope(const EvalModeScope&) = delete;
  EvalModeScope& operator=(const EvalModeScope&) = delete;

 private:
  std::vector<std::shared_ptr<torch::nn::Module>> modules_;
  std::vector<bool> was_training_;
};

}  // namespace

HistoryVolumes encode_history_volumes(const Batch& batch, const HistoryEncoding& encoding,
                                      const GridSpec& grid,
                                      const std::vector<std::shared_ptr<torch::nn::Module>>& eval_modules,
                                      const FrameEncoder& encode_frame) {
  const int64_t frames = encoding.frames;
  const int64_t batch_size = batch.images.size(0);
  const std::string expected = "history_frames is " + std::to_string(frames);
  if (!batch.history_images.defined() || !batch.history_intrinsics.defined() ||
      !batch.history_ego_from_camera.defined() || !batch.history_from_current.defined() ||
      !batch.history_valid.defined())
    throw UsageError(encoding.who + "." + expected +
                     " but the batch carries no history keyframes (the loader reads them when the model "
                     "kind's inputs ask for history_frames > 0)");
  const at::Tensor& images = batch.history_images;
  const bool shapes_ok = images.dim() == 6 && images.size(0) == batch_size && images.size(1) == frames &&
                         images.sizes().slice(2) == batch.images.sizes().slice(1) &&
                         batch.history_intrinsics.sizes().slice(0, 3) == images.sizes().slice(0, 3) &&
                         batch.history_ego_from_camera.sizes().slice(0, 3) == images.sizes().slice(0, 3) &&
                         batch.history_from_current.sizes() == at::IntArrayRef({batch_size, frames, 4, 4}) &&
                         batch.history_valid.sizes() == at::IntArrayRef({batch_size, frames});
  if (!shapes_ok)
    throw UsageError(encoding.who + "." + expected + " but the batch's history is history_images " +
                     nn::shape_text(images) + ", history_intrinsics " +
                     nn::shape_text(batch.history_intrinsics) + ", history_ego_from_camera " +
                     nn::shape_text(batch.history_ego_from_camera) + ", history_from_current " +
                     nn::shape_text(batch.history_from_current) + ", history_valid " +
                     nn::shape_text(batch.history_valid) + " for images " + nn::shape_text(batch.images));

  const auto [channels, nx, ny, nz] = encoding.volume_shape;
  const at::Tensor valid = batch.history_valid.to(at::kBool);
  at::Tensor volumes = at::zeros({batch_size, frames, channels, nx, ny, nz}, batch.images.options());
  const at::Tensor valid_cpu = valid.cpu();
  if (!valid_cpu.any().item<bool>()) return {volumes, valid};

  c10::NoGradGuard no_grad;
  const EvalModeScope eval_mode(eval_modules);
  // One history frame index at a time (only the frames that have it): the
  // peak memory stays that of the current frame.
  for (int64_t t = 0; t < encoding.encoded; ++t) {
    const at::Tensor rows = valid_cpu.select(1, t).nonzero().flatten().to(images.device());
    if (rows.numel() == 0) continue;
    const at::Tensor frame_images = images.select(1, t).index_select(0, rows);
    const at::Tensor volume =
        encode_frame(frame_images, batch.history_intrinsics.select(1, t).index_select(0, rows),
                     batch.history_ego_from_camera.select(1, t).index_select(0, rows));
    const AlignedVolume aligned = align_history_volume(
        volume, batch.history_from_current.select(1, t).index_select(0, rows), grid, {nx, ny, nz});
    volumes.select(1, t).index_copy_(0, rows, aligned.volume.to(volumes.scalar_type()));
  }
  return {volumes, valid};
}

}  // namespace occ::models
