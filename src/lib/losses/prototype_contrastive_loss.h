#pragma once
// ProtoOcc's prototype optimisation loss (Sec. 3.2.2): pseudo masks (SEEDS
// superpixels from `occ cluster-masks`) group the grid cells of each camera
// image; each mask's centroid M_s is the mean of the prototype-aware pixel
// features X inside it, and every cell is pulled towards its own mask's
// centroid and pushed from the other masks' centroids of the same image, an
// InfoNCE over cosine similarities with temperature tau.
#include <ATen/ATen.h>

#include <cstdint>

namespace occ::losses {

// masks [BN, H, W] int64 segment ids at any resolution -> nearest resize to
// h x w: cell (i, j) takes source pixel (floor((i + 0.5) * H / h),
// floor((j + 0.5) * W / w)), PyTorch's mode='nearest-exact' (the centre of an
// 8x8 block, not its corner, when going to the stride-8 grid). Throws
// UsageError for a bad shape or size.
at::Tensor resize_masks_nearest(const at::Tensor& masks, int64_t height, int64_t width);

// X [BN, d, h, w], masks [BN, h, w] int64 (ids 0..S-1, may be sparse: absent
// ids are no centroid). Centroid M_s = mean of X over mask s; per cell
//   -log( exp(cos(M_{s(x)}, X_x)/tau) / sum_s exp(cos(M_s, X_x)/tau) )
// (sums over the masks of that image only). Gradients flow through both the
// cells and the centroids. A cell whose X is 0 (no query looked there) has
// cosine 0 with every centroid: it adds the constant log(S_image) and no
// gradient.
// Reduction: CHOSEN mean over cells and images (the paper sums; a sum would
// tie lambda3 to the image size) -- `sum` = true gives the paper's sum.
// Throws UsageError for mismatched shapes, negative ids or tau <= 0.
at::Tensor prototype_contrastive_loss(const at::Tensor& pixel_features, const at::Tensor& masks,
                                      double temperature, bool sum = false);

}  // namespace occ::losses
