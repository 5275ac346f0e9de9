// PanoOcc's occupancy cross-entropy with use_mask=True: the per-voxel softmax
// cross-entropy weighted by the camera visibility mask and averaged over the
// visible voxels (see ../shared/reference/protoocc.md, "Losses").
#include <ATen/ATen.h>

#include <string>

#include "core/error.h"
#include "losses/loss_input_checks.h"
#include "losses/occupancy_losses.h"

namespace occ::losses {

at::Tensor masked_cross_entropy(const at::Tensor& logits, const at::Tensor& target, const at::Tensor& mask,
                                const at::Tensor& class_weights) {
  detail::check_class_scores("masked cross-entropy", logits, target);
  detail::check_mask("masked cross-entropy", mask, target);
  const int64_t num_classes = logits.size(1);
  if (class_weights.defined() && (class_weights.dim() != 1 || class_weights.size(0) != num_classes))
    throw UsageError("masked cross-entropy class weights must be [" + std::to_string(num_classes) +
                     "], one per class, got " + std::to_string(class_weights.dim()) + " dims of " +
                     std::to_string(class_weights.numel()) + " values");
  if (target.numel() > 0) {
    // gather would fail with an ATen index error; name the problem instead.
    const auto range = at::aminmax(target);
    const int64_t lowest = std::get<0>(range).item<int64_t>();
    const int64_t highest = std::get<1>(range).item<int64_t>();
    if (lowest < 0 || highest >= num_classes)
      throw UsageError("masked cross-entropy target holds class ids " + std::to_string(lowest) + ".." +
                       std::to_string(highest) + " outside 0.." + std::to_string(num_classes - 1));
  }
  // -log softmax(logits)[target] per voxel.
  const at::Tensor log_probabilities = at::log_softmax(logits, /*dim=*/1);
  const at::Tensor nll = -log_probabilities.gather(/*dim=*/1, target.unsqueeze(1)).squeeze(1);
  if (!class_weights.defined()) {
    if (!mask.defined()) return nll.mean();
    const at::Tensor weights = mask.to(nll.scalar_type());
    // clamp: a sample without a visible voxel gives 0 instead of 0/0.
    return (nll * weights).sum() / weights.sum().clamp_min(1.0);
  }
  // sum(m w_t nll) / sum(m w_t): the weight of each voxel's target class.
  at::Tensor weights = class_weights.to(nll.options()).index_select(0, target.reshape({-1})).view_as(nll);
  if (mask.defined()) weights = weights * mask.to(nll.scalar_type());
  const at::Tensor total = weights.sum();
  // A batch whose voxels all weigh 0 gives 0 instead of 0/0 (any weight sum
  // above 0 is kept: weights below 1 are the usual case).
  return (nll * weights).sum() / at::where(total > 0, total, at::ones_like(total));
}

}  // namespace occ::losses
