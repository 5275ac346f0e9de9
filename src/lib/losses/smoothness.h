#pragma once
// Edge-aware smoothness on the ray grid (Monodepth2's get_smooth_loss as
// SelfOcc's EdgeLoss3DMS applies it to rendered rays; Let Occ Flow: on the
// disparity, weight 0.02, and on the rendered flow, weight 0.01):
//   mean |d_x q| exp(-mean_c |d_x I|) + mean |d_y q| exp(-mean_c |d_y I|)
// with q the disparity 1 / (depth + 1e-7) divided by its mean over each
// camera's grid, or each channel of the flow as it is (CHOSEN).
#include <ATen/ATen.h>

namespace occ::losses {

// depth [B, N, rows, cols] (z-depth); colour [B, N, rows, cols, 3], the
// target image at the ray pixels (render::sample_images).
at::Tensor disparity_smoothness(const at::Tensor& depth, const at::Tensor& colour);

// flow [B, N, rows, cols, 2]; colour as above.
at::Tensor flow_smoothness(const at::Tensor& flow, const at::Tensor& colour);

}  // namespace occ::losses
