#include "losses/self_supervised_total.h"

#include <string>
#include <tuple>

#include "core/error.h"

namespace occ::losses {

std::vector<std::pair<std::string, at::Tensor>> self_supervised_terms(const SelfSupervisedTerms& terms,
                                                                      const LossConfig& config) {
  const std::vector<std::tuple<const char*, const at::Tensor*, double>> table = {
      {"photometric", &terms.photometric, config.photometric_weight},
      {"flow", &terms.flow, config.flow_weight},
      {"flow_regularisation", &terms.flow_regularisation, config.dreg_weight},
      {"eikonal", &terms.eikonal, config.eikonal_weight},
      {"hessian", &terms.hessian, config.hessian_weight},
      {"disparity_smoothness", &terms.disparity_smoothness, config.smooth_weight},
      {"flow_smoothness", &terms.flow_smoothness, config.flow_smooth_weight},
      {"sparsity_grid", &terms.sparsity_grid, config.sparsity_grid_weight},
      {"sparsity_beyond", &terms.sparsity_beyond, config.sparsity_beyond_weight},
      {"lidar", &terms.lidar, config.lidar_weight},
  };
  std::vector<std::pair<std::string, at::Tensor>> weighted;
  for (const auto& [name, term, weight] : table) {
    if (!term->defined()) continue;
    if (term->numel() != 1)
      throw UsageError(std::string("self-supervised loss term '") + name + "' must be one number");
    weighted.emplace_back(name, *term * weight);
  }
  return weighted;
}

at::Tensor self_supervised_total(const SelfSupervisedTerms& terms, const LossConfig& config) {
  const auto weighted = self_supervised_terms(terms, config);
  if (weighted.empty()) throw UsageError("self-supervised loss: no term was computed");
  at::Tensor total = weighted.front().second;
  for (size_t i = 1; i < weighted.size(); ++i) total = total + weighted[i].second;
  return total;
}

}  // namespace occ::losses
