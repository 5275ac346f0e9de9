#include "losses/lidar_silog.h"

#include "core/error.h"
#include "losses/loss_input_checks.h"

namespace occ::losses {

at::Tensor silog_loss(const at::Tensor& predicted, const at::Tensor& target, const at::Tensor& valid_in,
                      double lambda) {
  if (!predicted.defined() || !target.defined() || predicted.sizes() != target.sizes() ||
      (valid_in.defined() && valid_in.sizes() != target.sizes()))
    throw UsageError("silog loss: predicted " + detail::shape_text(predicted) + ", target " +
                     detail::shape_text(target) + " and valid " + detail::shape_text(valid_in) + " disagree");
  at::Tensor valid = target > 0;
  if (valid_in.defined()) valid = valid & valid_in.to(at::kBool);
  const at::Tensor weight = valid.to(predicted.scalar_type());
  const double count = static_cast<double>(valid.sum().item<int64_t>());
  if (count == 0) return (predicted * 0.0).sum();
  const at::Tensor safe_target =
      at::where(valid, target.to(predicted.scalar_type()), at::ones_like(predicted));
  const at::Tensor difference = (predicted.clamp_min(1e-6).log() - safe_target.log()) * weight;
  const at::Tensor mean = difference.sum() / count;
  const at::Tensor mean_square = difference.square().sum() / count;
  return (mean_square - lambda * mean.square()).clamp_min(1e-12).sqrt();
}

}  // namespace occ::losses
