// Sigmoid focal loss on the binary occupancy of each voxel (Lin et al., "Focal
// Loss for Dense Object Detection", ICCV 2017, Eq. 5 with the alpha balance),
// the optional occupancy loss of PanoOcc (gamma 2, alpha 0.25, weight 2):
//   FL = -alpha_t (1 - p_t)^gamma log(p_t),
//   p_t = p if occupied else 1 - p, alpha_t = alpha if occupied else 1 - alpha.
#include <ATen/ATen.h>

#include "core/error.h"
#include "losses/loss_input_checks.h"
#include "losses/occupancy_losses.h"

namespace occ::losses {

at::Tensor focal_occupancy_loss(const at::Tensor& occupancy_logit, const at::Tensor& target,
                                int64_t free_class, const at::Tensor& mask, double gamma, double alpha) {
  if (!occupancy_logit.defined() || !target.defined())
    throw UsageError("focal occupancy loss needs a defined logit and target");
  // A head with one output channel gives [B, 1, X, Y, Z]; drop that channel.
  const at::Tensor logit =
      occupancy_logit.dim() == target.dim() + 1 && occupancy_logit.dim() >= 2 && occupancy_logit.size(1) == 1
          ? occupancy_logit.squeeze(1)
          : occupancy_logit;
  if (logit.sizes() != target.sizes())
    throw UsageError("focal occupancy loss logit " + detail::shape_text(occupancy_logit) +
                     " does not match target " + detail::shape_text(target));
  detail::check_mask("focal occupancy loss", mask, target);
  if (gamma < 0.0) throw UsageError("focal occupancy loss gamma must be >= 0, got " + std::to_string(gamma));
  if (alpha < 0.0 || alpha > 1.0)
    throw UsageError("focal occupancy loss alpha must lie in [0, 1], got " + std::to_string(alpha));

  const at::Tensor occupied = target.ne(free_class).to(logit.scalar_type());
  const at::Tensor p = logit.sigmoid();
  // -log(p_t) from the logit directly: stable where sigmoid saturates.
  const at::Tensor cross_entropy =
      at::binary_cross_entropy_with_logits(logit, occupied, /*weight=*/{},
                                           /*pos_weight=*/{}, at::Reduction::None);
  const at::Tensor p_t = p * occupied + (1.0 - p) * (1.0 - occupied);
  const at::Tensor alpha_t = alpha * occupied + (1.0 - alpha) * (1.0 - occupied);
  const at::Tensor focal = alpha_t * (1.0 - p_t).pow(gamma) * cross_entropy;
  if (!mask.defined()) return focal.mean();
  const at::Tensor weights = mask.to(focal.scalar_type());
  return (focal * weights).sum() / weights.sum().clamp_min(1.0);
}

}  // namespace occ::losses
