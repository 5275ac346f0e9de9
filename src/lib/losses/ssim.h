#pragma once
// The SSIM dissimilarity of Monodepth2 (Godard et al., ICCV 2019, layers.py
// SSIM) as SelfOcc and Let Occ Flow use it (huang-yh/SelfOcc
// loss/reproj_loss_mono_multi_new.py): 3x3 mean windows over images padded by
// reflection, C1 = 0.01^2, C2 = 0.03^2 (images in [0, 1]), and
//   clamp((1 - SSIM) / 2, 0, 1)
// per pixel and channel, with the variances as E[x^2] - E[x]^2.
#include <ATen/ATen.h>

namespace occ::losses {

// x, y [B, C, H, W] of one shape, H and W >= 2 -> [B, C, H, W].
at::Tensor ssim_dissimilarity(const at::Tensor& x, const at::Tensor& y);

}  // namespace occ::losses
