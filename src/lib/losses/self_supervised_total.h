#pragma once
// Let Occ Flow's total objective (paper Eq. 12):
//   L = L_reproj + l_flow L_flow + l_range L_range + l_eik L_eik + l_H L_H
//     + l_smooth L_smooth + l_dreg L_dreg
// with the smoothness split into disparity and flow and the sparsity terms of
// the configs added (weights: LossConfig, self_supervised_config.h).
#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

#include "losses/self_supervised_config.h"

namespace occ::losses {

// The unweighted terms; an undefined term was not computed and is left out
// (e.g. flow terms in stage 1, LiDAR without points).
struct SelfSupervisedTerms {
  at::Tensor photometric;           // photometric_loss
  at::Tensor flow;                  // optical_flow_loss
  at::Tensor flow_regularisation;   // flow_regularisation (L_dreg)
  at::Tensor eikonal;               // eikonal_loss
  at::Tensor hessian;               // hessian_loss
  at::Tensor disparity_smoothness;  // disparity_smoothness
  at::Tensor flow_smoothness;       // flow_smoothness
  at::Tensor sparsity_grid;         // sparsity_loss on a shifted grid
  at::Tensor sparsity_beyond;       // beyond_depth_sparsity_loss
  at::Tensor lidar;                 // silog_loss (L_range)
};

// Named, weighted terms in the order above, as models::LossTerms (the trainer
// sums and logs them): "photometric", "flow", "flow_regularisation",
// "eikonal", "hessian", "disparity_smoothness", "flow_smoothness",
// "sparsity_grid", "sparsity_beyond", "lidar".
std::vector<std::pair<std::string, at::Tensor>> self_supervised_terms(const SelfSupervisedTerms& terms,
                                                                      const LossConfig& config);

// Their sum (Eq. 12); throws UsageError when no term is defined.
at::Tensor self_supervised_total(const SelfSupervisedTerms& terms, const LossConfig& config);

}  // namespace occ::losses
