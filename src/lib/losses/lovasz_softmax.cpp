// Lovasz-softmax loss: Berman, Rannen Triki and Blaschko, "The Lovasz-Softmax
// loss: a tractable surrogate for the optimization of the intersection-over-
// union measure in neural networks", CVPR 2018, as in the authors' PyTorch
// code (lovasz_softmax_flat, classes='present', per_image=False) used by
// PanoOcc: all voxels of the batch are flattened together.
//
// The authors loop over the classes and sort each class's errors on its own;
// here the present classes are stacked into one [K, P] matrix so that one
// sort and one cumsum serve them all (18 classes x 640k voxels on CPU).
#include <ATen/ATen.h>

#include "core/error.h"
#include "losses/loss_input_checks.h"
#include "losses/occupancy_losses.h"

namespace occ::losses {
namespace {

// Gradient of the Lovasz extension of the Jaccard loss with respect to the
// sorted errors (lovasz_grad in the paper's code), one row per class:
// fg_sorted [K, P] holds 1 where the voxel belongs to the class, in the order
// of decreasing error. Row k: J_i = 1 - (gts - cumsum(fg)_i) / (gts +
// cumsum(1 - fg)_i), then the differences J_i - J_{i-1}. The union is never 0
// because every row holds at least one foreground voxel.
at::Tensor lovasz_grad(const at::Tensor& fg_sorted) {
  const at::Tensor gts = fg_sorted.sum(/*dim=*/1, /*keepdim=*/true);
  const at::Tensor intersection = gts - fg_sorted.cumsum(/*dim=*/1);
  const at::Tensor union_ = gts + (1.0 - fg_sorted).cumsum(/*dim=*/1);
  const at::Tensor jaccard = 1.0 - intersection / union_;
  const int64_t p = jaccard.size(1);
  if (p == 1) return jaccard;
  // J_0, J_1 - J_0, ...: subtract the unmodified row shifted by one.
  return at::cat({jaccard.narrow(1, 0, 1), jaccard.narrow(1, 1, p - 1) - jaccard.narrow(1, 0, p - 1)},
                 /*dim=*/1);
}

}  // namespace

at::Tensor lovasz_softmax(const at::Tensor& probabilities, const at::Tensor& target, int64_t ignore_index,
                          const at::Tensor& mask) {
  detail::check_class_scores("lovasz-softmax", probabilities, target);
  detail::check_mask("lovasz-softmax", mask, target);
  const int64_t num_classes = probabilities.size(1);

  // [B, C, spatial...] -> [C, B * spatial]: the class rows are what gets
  // sorted, so keep each one contiguous.
  const at::Tensor class_rows = probabilities.movedim(1, 0).reshape({num_classes, -1});
  const at::Tensor labels = target.reshape({-1});
  at::Tensor keep = labels != ignore_index;
  if (mask.defined()) keep = keep & (mask.reshape({-1}) != 0);
  const at::Tensor kept_voxels = keep.nonzero().squeeze(1);
  const at::Tensor kept_labels = labels.index_select(0, kept_voxels);
  if (kept_labels.numel() > 0) {
    const auto range = at::aminmax(kept_labels);
    const int64_t lowest = std::get<0>(range).item<int64_t>();
    const int64_t highest = std::get<1>(range).item<int64_t>();
    if (lowest < 0 || highest >= num_classes)
      throw UsageError("lovasz-softmax target holds class ids " + std::to_string(lowest) + ".." +
                       std::to_string(highest) + " outside 0.." + std::to_string(num_classes - 1) +
                       " (ignore index " + std::to_string(ignore_index) + ")");
  }
  // classes='present': only classes with at least one kept voxel count.
  const at::Tensor present_classes =
      at::bincount(kept_labels, /*weights=*/{}, /*minlength=*/num_classes).nonzero().squeeze(1);
  if (present_classes.numel() == 0) return probabilities.sum() * 0.0;  // 0, still in the graph

  const at::Tensor class_probabilities =
      class_rows.index_select(0, present_classes).index_select(1, kept_voxels);
  const at::Tensor fg =
      kept_labels.unsqueeze(0).eq(present_classes.unsqueeze(1)).to(class_probabilities.scalar_type());
  const at::Tensor errors = (fg - class_probabilities).abs();
  // Ties may be ordered either way: the Lovasz extension has the same value.
  const auto [errors_sorted, order] = errors.sort(/*dim=*/1, /*descending=*/true);
  const at::Tensor fg_sorted = fg.gather(1, order);
  // The paper's code passes lovasz_grad as a constant (Variable of .data).
  const at::Tensor per_class = (errors_sorted * lovasz_grad(fg_sorted).detach()).sum(/*dim=*/1);
  return per_class.mean();
}

}  // namespace occ::losses
