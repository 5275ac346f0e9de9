#pragma once
// Scale-invariant log loss on rendered LiDAR rays (Eigen et al., NeurIPS 2014;
// Let Occ Flow's optional l_range on nuScenes, weight 0.2, lambda 0.85):
//   d = log(pred) - log(target) over valid rays,
//   L = sqrt(max(mean d^2 - lambda (mean d)^2, 1e-12)).
#include <ATen/ATen.h>

namespace occ::losses {

// predicted and target ranges (metres) of one shape; valid bool of that shape
// or undefined (every ray with target > 0). 0 when no ray is valid.
at::Tensor silog_loss(const at::Tensor& predicted, const at::Tensor& target, const at::Tensor& valid,
                      double lambda);

}  // namespace occ::losses
