#include "train/adamw.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <map>

#include "core/error.h"
#include "core/strings.h"

namespace occ::train {

AdamW::AdamW(std::vector<NamedParameter> parameters, AdamWOptions options)
    : parameters_(std::move(parameters)), options_(options) {
  for (const auto& named : parameters_) {
    exp_avg_.push_back(at::zeros_like(named.parameter, at::MemoryFormat::Contiguous));
    exp_avg_sq_.push_back(at::zeros_like(named.parameter, at::MemoryFormat::Contiguous));
  }
}

void AdamW::zero_grad() {
  for (auto& named : parameters_) {
    at::Tensor grad = named.parameter.mutable_grad();
    if (grad.defined()) grad.zero_();
  }
}

void AdamW::step(double lr) {
  c10::NoGradGuard no_grad;
  ++steps_;
  // torch.optim.AdamW: decay first, then the bias-corrected Adam step.
  const double bias1 = 1.0 - std::pow(options_.beta1, static_cast<double>(steps_));
  const double bias2 = 1.0 - std::pow(options_.beta2, static_cast<double>(steps_));
  for (size_t i = 0; i < parameters_.size(); ++i) {
    at::Tensor parameter = parameters_[i].parameter;
    const at::Tensor& grad = parameter.grad();
    if (!grad.defined()) continue;
    const double step_lr = lr * parameters_[i].lr_multiplier;
    parameter.mul_(1.0 - step_lr * options_.weight_decay);
    exp_avg_[i].mul_(options_.beta1).add_(grad, 1.0 - options_.beta1);
    exp_avg_sq_[i].mul_(options_.beta2).addcmul_(grad, grad, 1.0 - options_.beta2);
    const at::Tensor denominator = (exp_avg_sq_[i].sqrt() / std::sqrt(bias2)).add_(options_.eps);
    parameter.addcdiv_(exp_avg_[i], denominator, -step_lr / bias1);
  }
}

std::vector<std::pair<std::string, at::Tensor>> AdamW::state() const {
  std::vector<std::pair<std::string, at::Tensor>> state;
  state.emplace_back("steps", at::scalar_tensor(steps_, at::kLong));
  for (size_t i = 0; i < parameters_.size(); ++i) {
    state.emplace_back("exp_avg/" + parameters_[i].name, exp_avg_[i]);
    state.emplace_back("exp_avg_sq/" + parameters_[i].name, exp_avg_sq_[i]);
  }
  return state;
}

void AdamW::load_state(const std::vector<std::pair<std::string, at::Tensor>>& state,
                       const std::string& source) {
  std::map<std::string, at::Tensor> by_name(state.begin(), state.end());
  auto take = [&](const std::string& name, const at::Tensor& like) {
    const auto found = by_name.find(name);
    if (found == by_name.end()) throw FormatError(str(source, ": optimiser state lacks ", quoted(name)));
    if (found->second.sizes() != like.sizes()) {
      throw FormatError(occ::str(source, ": optimiser state ", quoted(name), " has shape ",
                                 found->second.sizes(), ", the parameter ", like.sizes()));
    }
    // A copy: the caller keeps its tensors, and the moments are updated in place.
    return found->second.to(like.options(), /*non_blocking=*/false, /*copy=*/true).contiguous();
  };
  const auto steps = by_name.find("steps");
  if (steps == by_name.end()) throw FormatError(str(source, ": optimiser state lacks 'steps'"));
  steps_ = steps->second.item<int64_t>();
  for (size_t i = 0; i < parameters_.size(); ++i) {
    exp_avg_[i] = take("exp_avg/" + parameters_[i].name, parameters_[i].parameter);
    exp_avg_sq_[i] = take("exp_avg_sq/" + parameters_[i].name, parameters_[i].parameter);
  }
}

double clip_gradient_norm(const std::vector<NamedParameter>& parameters, double max_norm) {
  c10::NoGradGuard no_grad;
  std::vector<at::Tensor> norms;
  for (const auto& named : parameters) {
    if (named.parameter.grad().defined()) norms.push_back(named.parameter.grad().norm(2));
  }
  if (norms.empty()) return 0.0;
  const double total = at::stack(norms).norm(2).item<double>();
  // torch.nn.utils.clip_grad_norm_: coefficient max_norm / (total + 1e-6), only when below 1.
  const double coefficient = max_norm / (total + 1e-6);
  if (coefficient < 1.0) {
    for (const auto& named : parameters) {
      at::Tensor grad = named.parameter.mutable_grad();
      if (grad.defined()) grad.mul_(coefficient);
    }
  }
  return total;
}

}  // namespace occ::train
