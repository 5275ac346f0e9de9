#pragma once
// NeuS' learnable inverse standard deviation inv_s = exp(scale * v) (NeuS,
// Wang et al. 2021, "SingleVarianceNetwork"; Let Occ Flow: scale 10, v
// initialised to 0.1, learnable in stage 1 and frozen in stage 2 -
// ../shared/reference/letoccflow.md). One parameter "variance".
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace occ::render {

class NeuSVarianceImpl : public torch::nn::Module {
 public:
  explicit NeuSVarianceImpl(double init_value = 0.1, double scale = 10.0);
  // 0-dim inv_s = exp(scale * v), differentiable w.r.t. v.
  at::Tensor inv_s() const;
  // Stage 2 of Let Occ Flow freezes v.
  void set_learnable(bool learnable);

  at::Tensor variance;

 private:
  double scale_;
};
TORCH_MODULE(NeuSVariance);

}  // namespace occ::render
