#pragma once
// Let Occ Flow's optical-flow loss (Eq. 9) with its dynamic-ray reweighting
// (Eq. 11) (../shared/reference/letoccflow.md, "Losses and weights"):
//  - each sample p_i of a ray, moved by its BEV flow f_i (z = 0), is projected
//    into the next camera: q_i;
//  - only samples with render weight > min_sample_weight (2e-3) count, their
//    weights renormalised over the ray: w'_i;
//  - the ray's rendered optical flow sum_i w'_i q_i - pixel is compared with
//    the optical-flow label by the L1 norm (CHOSEN: render, then compare);
//  - rays count where the label is valid and some sample is kept in front of
//    the camera; rays whose loss is >= outlier_median_factor (100) x the
//    median over counted rays (and >= outlier_floor, 1 px, CHOSEN: the
//    median rule alone drops rounding noise once most rays are near 0) or
//    >= outlier_max (1e3 px) are dropped;
//  - dynamic rays (dynamic_flow.h) weigh min(N_all / N_dyn, dynamic_weight_max
//    = 20), the others 1, N_all = the rays kept; the loss is the weighted sum
//    over N_all (CHOSEN normaliser; 0 when no ray is kept);
//  - on dynamic rays the render weights are detached (the flow loss trains
//    the flow there, not the geometry).
#include <ATen/ATen.h>

namespace occ::losses {

struct FlowLossInputs {
  at::Tensor pixels;                // [B, N, rows, cols, 2]
  at::Tensor sample_points;         // [B, N, rows, cols, S, 3] current ego frame
  at::Tensor sample_flow;           // [B, N, rows, cols, S, 2] BEV displacement to the next frame (metres)
  at::Tensor weights;               // [B, N, rows, cols, S]
  at::Tensor next_intrinsics;       // [B, N, 3, 3]
  at::Tensor next_camera_from_ego;  // [B, N, 4, 4] next camera from the current ego frame
  at::Tensor flow_label;            // [B, N, rows, cols, 2] optical flow current -> next (pixels)
  at::Tensor flow_valid;            // [B, N, rows, cols] bool
  at::Tensor dynamic;               // [B, N, rows, cols] bool (dynamic_ray_mask)
};

struct FlowLossOptions {
  double min_sample_weight = 2e-3;       // loss.flow_min_sample_weight
  double outlier_median_factor = 100.0;  // loss.flow_outlier_median_factor
  double outlier_max = 1e3;              // loss.flow_outlier_max
  double outlier_floor = 1.0;            // loss.flow_outlier_floor_px
  double dynamic_weight_max = 20.0;      // loss.flow_dynamic_weight_max
  bool detach_dynamic_weights = true;    // loss.flow_detach_dynamic_weights
};

struct FlowLossResult {
  at::Tensor loss;     // 0-dim
  at::Tensor per_ray;  // [B, N, rows, cols] L1 error per ray (pixels)
  at::Tensor kept;     // [B, N, rows, cols] bool: counted and not an outlier
};

FlowLossResult optical_flow_loss(const FlowLossInputs& inputs, const FlowLossOptions& options);

}  // namespace occ::losses
