#include "render/neus_variance.h"

#include "core/error.h"
#include "core/strings.h"

namespace occ::render {

NeuSVarianceImpl::NeuSVarianceImpl(double init_value, double scale) : scale_(scale) {
  if (!(scale > 0.0)) throw UsageError(str("NeuS variance scale must be > 0, got ", scale));
  variance = register_parameter("variance", at::full({}, init_value, at::kFloat));
}

at::Tensor NeuSVarianceImpl::inv_s() const {
  return at::exp(variance * scale_);
}

void NeuSVarianceImpl::set_learnable(bool learnable) {
  variance.requires_grad_(learnable);
}

}  // namespace occ::render
