#pragma once
// Regularisers of the SDF volume (Let Occ Flow, Eq. 12 l_eik and l_H, and the
// sparsity terms; ../shared/reference/letoccflow.md, "Losses and weights";
// SelfOcc loss/eikonal_loss.py, second_grad_loss.py, sparsity_loss.py):
//  - eikonal: mean (|grad s| - 1)^2 over the per-sample gradients and the
//    grid's gradients (render::sdf_gradient_volume), all in one mean (CHOSEN);
//  - Hessian: mean |H| over the 6 distinct second differences (3 pure, 3
//    mixed; central) of the grid;
//  - sparsity: mean relu(-sdf) of the values given (a shifted uniform grid),
//    and of the samples more than a margin (3 m) beyond the rendered distance.
// The grid terms use the interior vertices only: on the border layer the
// replicated neighbour of sdf_gradient_volume halves the slope, which an
// exact distance field would otherwise be punished for.
#include <ATen/ATen.h>

#include "render/volume_box.h"

namespace occ::losses {

// grid_gradients [B, 3, X, Y, Z] (each axis >= 3); sample_gradients [..., 3]
// or undefined.
at::Tensor eikonal_loss(const at::Tensor& grid_gradients, const at::Tensor& sample_gradients);

// sdf [B, 1, X, Y, Z] on the vertex grid of `box` (each axis >= 3).
at::Tensor hessian_loss(const at::Tensor& sdf, const render::VolumeBox& box);

// mean relu(-sdf) over all values.
at::Tensor sparsity_loss(const at::Tensor& sdf_values);

// sample_sdf, t [..., S]; distance [...]: mean relu(-sdf) over the samples with
// t > distance + margin_m (0 when there are none).
at::Tensor beyond_depth_sparsity_loss(const at::Tensor& sample_sdf, const at::Tensor& t,
                                      const at::Tensor& distance, double margin_m);

}  // namespace occ::losses
