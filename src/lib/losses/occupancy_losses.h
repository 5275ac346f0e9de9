#pragma once
// Losses of the voxel-query occupancy models (PanoOcc and ProtoOcc, see
// ../shared/reference/protoocc.md): cross-entropy weighted by the camera
// visibility mask, Lovasz-softmax and the focal occupancy loss.
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace occ::losses {

// Softmax cross-entropy per voxel, weighted by mask (1 = the voxel counts)
// and averaged over mask.sum() (clamped to >= 1): PanoOcc's loss with
// use_mask=True.
//   logits  [B, C, X, Y, Z] (any number of spatial dims >= 1)
//   target  [B, X, Y, Z] int64 class ids
//   mask    [B, X, Y, Z] float 0/1, or undefined (every voxel counts, average
//           over all voxels)
//   class_weights [C] float, or undefined (no class weights): each voxel's
//           term is multiplied by the weight w_t of its target class and the
//           sum divided by sum(mask * w_t) instead of mask.sum() (0 when that
//           is 0), PyTorch's weighted mean and the avg_factor of the
//           BEVDet/FlashOcc occupancy heads with class_balance.
// Throws UsageError for mismatched shapes, class ids outside [0, C) or a
// class_weights of another length than C.
at::Tensor masked_cross_entropy(const at::Tensor& logits, const at::Tensor& target, const at::Tensor& mask,
                                const at::Tensor& class_weights = {});

// Lovasz-softmax (Berman et al., "The Lovasz-Softmax loss", CVPR 2018) on
// class probabilities, averaged over the classes present in the target
// (classes='present'), voxels whose target is `ignore_index` left out (PanoOcc
// ignores the free class). Voxels with mask == 0 are left out too when mask is
// defined.
//   probabilities [B, C, X, Y, Z] (softmax already applied)
//   target        [B, X, Y, Z] int64
// Returns 0 (with a graph) when no voxel remains. Gradients flow through the
// sorted errors only, as in the paper's code.
at::Tensor lovasz_softmax(const at::Tensor& probabilities, const at::Tensor& target, int64_t ignore_index,
                          const at::Tensor& mask = {});

// Sigmoid focal loss (Lin et al., "Focal Loss for Dense Object Detection",
// ICCV 2017) on an occupancy logit against occupied = (target != free_class),
// mean over the voxels (mask-weighted mean over mask.sum() clamped to >= 1 when
// mask is defined).
//   occupancy_logit [B, X, Y, Z] or [B, 1, X, Y, Z] (a one-channel head)
//   target          [B, X, Y, Z] int64
// Throws UsageError for mismatched shapes, gamma < 0 or alpha outside [0, 1].
at::Tensor focal_occupancy_loss(const at::Tensor& occupancy_logit, const at::Tensor& target,
                                int64_t free_class, const at::Tensor& mask = {}, double gamma = 2.0,
                                double alpha = 0.25);

}  // namespace occ::losses
