#pragma once
// The consistency loss of ProtoOcc's multi-perspective occupancy decoding
// (Oh et al., CVPR 2025, Sec. 3.3), taken from GRAND (Feng et al., "Graph
// Random Neural Network", NeurIPS 2020, Eq. 8-9 and consis_loss in the
// public code THUDM/GRAND, train_grand.py): the views' class distributions
// are averaged per voxel, the average is sharpened with temperature T,
//   V'_c = V_c^(1/T) / sum_c' V_c'^(1/T),
// and every view is pulled towards it by the squared distance
//   L = mean over views p and voxels of || V' - V(p) ||^2 (sum over classes).
// As in GRAND's code the sharpened target is detached: gradients reach the
// views only through V(p), never through V'.
#include <ATen/core/Tensor.h>

#include <vector>

namespace occ::losses {

// probabilities: P+1 >= 1 tensors [B, K, X, Y, Z] of one shape (softmax
//   applied over K, spatial augmentations already undone; any number of
//   spatial axes >= 1).
// temperature: T > 0 (CHOSEN 0.5, as GRAND's default).
// mask: [B, X, Y, Z] float, 1 = the voxel counts, or undefined (every voxel
//   counts); the voxel mean is then sum(mask * d) / max(mask.sum(), 1), as
//   for the masked cross-entropy.
// Throws UsageError for no views, mismatched shapes, a bad mask shape or
// T <= 0.
at::Tensor consistency_loss(const std::vector<at::Tensor>& probabilities, double temperature,
                            const at::Tensor& mask = {});

}  // namespace occ::losses
