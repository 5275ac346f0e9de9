#pragma once
// Let Occ Flow's photometric reprojection loss (Eq. 8), following SelfOcc's
// ReprojLossMonoMultiNew (huang-yh/SelfOcc loss/reproj_loss_mono_multi_new.py),
// which LOF extends with per-sample flow:
//  - every sample i of ray r (point p_i in the current ego frame, moved by its
//    displacement towards the source time when given) is projected into each
//    source image (previous, next) and read bilinearly there;
//  - samples projecting behind the camera or outside the image get weight 0,
//    the others their render weight renormalised over the ray;
//  - L1_r = sum_i w'_i mean_c |I_t(r) - I_s(q_i)|;
//    SSIM on the ray grid between the weighted colour sum_i w'_i I_s(q_i) and
//    the target colours at the ray pixels (ssim.h; that is why rays form a
//    grid per camera);
//    loss_s(r) = l1_weight L1_r + ssim_weight SSIM_r, or `invalid_loss` (1e3,
//    a constant) when no sample of r projects validly into s;
//  - auto-masking (Monodepth2): the same loss of the source read at the ray
//    pixel itself (identity reprojection) joins the candidates;
//  - the per-ray minimum over the candidates, averaged over rays and cameras.
// Images are in [0, 1] (LOF divides BGR by 256; SSIM's C1, C2 assume [0, 1];
// L1 and SSIM are channel means, so the channel order does not matter).
#include <ATen/ATen.h>

#include <vector>

namespace occ::losses {

struct PhotometricSource {
  at::Tensor image;            // [B, N, 3, H, W] the previous or next frame, same cameras
  at::Tensor intrinsics;       // [B, N, 3, 3]
  at::Tensor camera_from_ego;  // [B, N, 4, 4] source camera from the CURRENT ego frame
  // [B, N, rows, cols, S, 2 or 3] ego-frame motion of each sample from now to
  // the source time (LOF's flow, BEV: 2 channels, z = 0), or undefined (static).
  at::Tensor sample_displacement;
};

struct PhotometricInputs {
  at::Tensor target;         // [B, N, 3, H, W] current images
  at::Tensor pixels;         // [B, N, rows, cols, 2] ray pixels (rays.h convention)
  at::Tensor sample_points;  // [B, N, rows, cols, S, 3] current ego frame
  at::Tensor weights;        // [B, N, rows, cols, S] render weights
  std::vector<PhotometricSource> sources;
};

struct PhotometricOptions {
  double l1_weight = 0.15;    // loss.photometric_l1_weight
  double ssim_weight = 0.85;  // loss.photometric_ssim_weight
  double invalid_loss = 1e3;  // loss.photometric_invalid_loss
  bool automask = true;       // loss.photometric_automask
};

struct PhotometricResult {
  at::Tensor loss;     // 0-dim mean over rays and cameras
  at::Tensor per_ray;  // [B, N, rows, cols] the minimum over the candidates
  at::Tensor choice;   // [B, N, rows, cols] int64: index of the winning candidate
                       // (0..K-1 sources, K..2K-1 their identity reprojections)
};

PhotometricResult photometric_loss(const PhotometricInputs& inputs, const PhotometricOptions& options);

}  // namespace occ::losses
