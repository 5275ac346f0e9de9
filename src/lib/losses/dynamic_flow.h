#pragma once
// Let Occ Flow's dynamic disentanglement (Eq. 10) and its flow
// regularisation L_dreg (../shared/reference/letoccflow.md, "Losses and
// weights"):
//  - static flow of a ray: its rendered surface point p = o + distance d,
//    still in the scene, projected into the next camera: q(p) - pixel;
//  - a ray is dynamic where |optical flow label - static flow|_2 > threshold
//    (8 px) AND the label is valid AND the movable-object mask is on;
//  - L_dreg = mean over non-dynamic rays of |rendered flow|_1
//           + dreg_sample_weight (0.2) x mean over samples with render weight
//             < dreg_max_render_weight (1e-3) of |sample flow|_1
//    (flow where nothing is seen, or on the static scene, should be 0).
#include <ATen/ATen.h>

namespace occ::losses {

struct DynamicRayInputs {
  at::Tensor distance;              // [B, N, rows, cols] rendered ray distance (metres along the unit ray)
  at::Tensor origins;               // [B, N, rows, cols, 3] ray origins, current ego frame
  at::Tensor directions;            // [B, N, rows, cols, 3] unit
  at::Tensor pixels;                // [B, N, rows, cols, 2]
  at::Tensor next_intrinsics;       // [B, N, 3, 3]
  at::Tensor next_camera_from_ego;  // [B, N, 4, 4] next camera from the current ego frame
  at::Tensor flow_label;            // [B, N, rows, cols, 2] optical flow current -> next (pixels) at the rays
  at::Tensor flow_valid;            // [B, N, rows, cols] bool
  at::Tensor movable;               // [B, N, rows, cols] bool, movable-object mask at the rays
};

// The static flow [B, N, rows, cols, 2] (pixels) of Eq. 10, without gradient.
at::Tensor static_flow(const DynamicRayInputs& inputs);

// The dynamic rays [B, N, rows, cols] bool, without gradient.
at::Tensor dynamic_ray_mask(const DynamicRayInputs& inputs, double threshold_px);

// rendered_flow [..., 2]; dynamic [...] bool; sample_flow [..., S, 2];
// weights [..., S]. Means over empty sets are 0.
at::Tensor flow_regularisation(const at::Tensor& rendered_flow, const at::Tensor& dynamic,
                               const at::Tensor& sample_flow, const at::Tensor& weights, double sample_weight,
                               double max_render_weight);

}  // namespace occ::losses
