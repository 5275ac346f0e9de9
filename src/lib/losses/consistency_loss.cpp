// GRAND's consistency loss (Feng et al., NeurIPS 2020; THUDM/GRAND
// train_grand.py, consis_loss) as ProtoOcc uses it across decoded views.
#include "losses/consistency_loss.h"

#include <ATen/ATen.h>

#include <algorithm>

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
  // Summed view by view rather than through one stacked tensor: the views of
  // a full Occ3D grid are 11.5 M values each.
  at::Tensor average = probabilities.front().detach().clone();
  for (size_t p = 1; p < probabilities.size(); ++p) average.add_(probabilities[p].detach());
  average.div_(static_cast<double>(probabilities.size()));
  // V^(1/T) / sum_c V^(1/T) == softmax(log(V) / T): the same numbers, but a
  // small T cannot underflow every class to 0 and divide 0 by 0. The clamp
  // keeps log finite where a class has probability 0 (it then stays ~0).
  // Detached as in GRAND's code: the target is a constant for this step.
  const at::Tensor sharpened = at::softmax(average.clamp_min_(1e-30).log_().div_(temperature), /*dim=*/1);
  const at::Tensor weights = mask.defined() ? mask.to(sharpened.scalar_type()) : at::Tensor();
  at::Tensor total;
  int64_t voxels = 0;
  for (const auto& view : probabilities) {
    const at::Tensor distance = (view - sharpened).square().sum(/*dim=*/1);  // [B, spatial...]
    const at::Tensor term = weights.defined() ? (distance * weights).sum() : distance.sum();
    total = total.defined() ? total + term : term;
    voxels = distance.numel();
  }
  // Mean over voxels (mask-weighted, as the masked cross-entropy) per view,
  // then over views.
  const double view_count = static_cast<double>(probabilities.size());
  if (weights.defined()) return total / (weights.sum().clamp_min(1.0) * view_count);
  return total / (static_cast<double>(std::max<int64_t>(voxels, 1)) * view_count);
}

}  // namespace occ::losses
