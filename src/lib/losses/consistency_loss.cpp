// GRAND's consistency loss (Feng et al., NeurIPS 2020; THUDM/GRAND
// train_grand.py, consis_loss) as ProtoOcc uses it across decoded views.
#include "losses/consistency_loss.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/strings.h"
#include "losses/loss_input_checks.h"

namespace occ::losses {
namespace {

void check_views(const std::vector<at::Tensor>& probabilities, double temperature, const at::Tensor& mask) {
  if (probabilities.empty()) throw UsageError("consistency loss needs at least one view");
  if (!(temperature > 0.0))
    throw UsageError(str("consistency loss temperature must be > 0, got ", temperature));
  const at::Tensor& first = probabilities.front();
  if (!first.defined() || first.dim() < 3)
    throw UsageError("consistency loss expects views [B, K, spatial...], got " + detail::shape_text(first));
  for (size_t p = 1; p < probabilities.size(); ++p) {
    if (!probabilities[p].defined() || probabilities[p].sizes() != first.sizes())
      throw UsageError(str("consistency loss view ", p, " ", detail::shape_text(probabilities[p]),
                           " does not match view 0 ", detail::shape_text(first)));
  }
  if (!mask.defined()) return;
  // The mask has the views' shape without the class axis.
  std::vector<int64_t> expected(first.sizes().begin(), first.sizes().end());
  expected.erase(expected.begin() + 1);
  if (mask.sizes() != at::IntArrayRef(expected))
    throw UsageError("consistency loss mask " + detail::shape_text(mask) + " does not match views " +
                     detail::shape_text(first) + " without their class axis");
}

}  // namespace

at::Tensor consistency_loss(const std::vector<at::Tensor>& probabilities, double temperature,
                            const at::Tensor& mask) {
  check_views(probabilities, temperature, mask);
  const at::Tensor views = at::stack(probabilities);  // [P+1, B, K, ...]
  const at::Tensor average = views.mean(/*dim=*/0);
  // V^(1/T) / sum_c V^(1/T) == softmax(log(V) / T): the same numbers, but a
  // small T cannot underflow every class to 0 and divide 0 by 0. The clamp
  // keeps log finite where a class has probability 0 (it then stays ~0).
  // Detached as in GRAND's code: the target is a constant for this step.
  const at::Tensor sharpened = at::softmax(average.detach().clamp_min(1e-30).log() / temperature, /*dim=*/1);
  const at::Tensor distance = (views - sharpened.unsqueeze(0)).pow(2).sum(/*dim=*/2);  // [P+1, B, ...]
  if (!mask.defined()) return distance.mean();
  const at::Tensor weights = mask.to(distance.scalar_type()).unsqueeze(0);
  // Mean over voxels (mask-weighted) per view, then over views.
  const double view_count = static_cast<double>(probabilities.size());
  return (distance * weights).sum() / (weights.sum().clamp_min(1.0) * view_count);
}

}  // namespace occ::losses
