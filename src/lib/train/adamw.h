#pragma once
// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR
// 2019), the update of torch.optim.AdamW (amsgrad off), written here so its
// whole state is a few named tensors the model file can hold and restore
// exactly (resuming must continue bit for bit).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace occ::train {

struct AdamWOptions {
  double weight_decay = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

// Parameters by name with a learning-rate multiplier each (per-module lr).
struct NamedParameter {
  std::string name;
  at::Tensor parameter;
  double lr_multiplier = 1.0;
  std::string group;  // the model's parameter group (for staged schedules)
};

class AdamW {
 public:
  AdamW(std::vector<NamedParameter> parameters, AdamWOptions options);

  // One update with learning rate lr * multiplier for each parameter.
  // Parameters without a gradient are left alone (their moments too).
  void step(double lr);
  void zero_grad();
  // Changes one parameter's multiplier (a training stage freezing or slowing
  // a module); 0 leaves the parameter unchanged by step().
  void set_lr_multiplier(size_t index, double multiplier) {
    parameters_.at(index).lr_multiplier = multiplier;
  }
  int64_t steps() const { return steps_; }

  // The moments as "exp_avg/<name>" and "exp_avg_sq/<name>", plus the
  // update count as "steps" (0-d int64).
  std::vector<std::pair<std::string, at::Tensor>> state() const;
  // Restores what state() returned; throws FormatError naming a missing or
  // mis-shaped entry (`source` names the file).
  void load_state(const std::vector<std::pair<std::string, at::Tensor>>& state, const std::string& source);

  const std::vector<NamedParameter>& parameters() const { return parameters_; }

 private:
  std::vector<NamedParameter> parameters_;
  AdamWOptions options_;
  std::vector<at::Tensor> exp_avg_, exp_avg_sq_;
  int64_t steps_ = 0;
};

// Scales all gradients so their global L2 norm is at most max_norm (as
// torch.nn.utils.clip_grad_norm_); returns the norm before clipping.
double clip_gradient_norm(const std::vector<NamedParameter>& parameters, double max_norm);

}  // namespace occ::train
