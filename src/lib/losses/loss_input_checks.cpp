#include "losses/loss_input_checks.h"

#include "nn/shape_text.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace occ::losses::detail {

std::string shape_text(const at::Tensor& tensor) {
  return nn::shape_text(tensor);
}

void check_class_scores(const std::string& loss_name, const at::Tensor& scores, const at::Tensor& target) {
  if (!scores.defined() || !target.defined())
    throw UsageError(loss_name + " needs defined scores and target");
  if (target.scalar_type() != at::kLong)
    throw UsageError(loss_name + " target must hold int64 class ids, got " +
                     std::string(at::toString(target.scalar_type())));
  bool matches = scores.dim() >= 3 && scores.dim() == target.dim() + 1 && scores.size(0) == target.size(0);
  for (int64_t d = 1; matches && d < target.dim(); ++d) matches = scores.size(d + 1) == target.size(d);
  if (!matches)
    throw UsageError(loss_name + " expects scores [B, C, spatial...] and target [B, spatial...], got " +
                     shape_text(scores) + " and " + shape_text(target));
}

void check_mask(const std::string& loss_name, const at::Tensor& mask, const at::Tensor& target) {
  if (mask.defined() && mask.sizes() != target.sizes())
    throw UsageError(loss_name + " mask " + shape_text(mask) + " does not match target " +
                     shape_text(target));
}

}  // namespace occ::losses::detail
