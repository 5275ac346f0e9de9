#pragma once
// Shape and dtype checks shared by the occupancy losses, so that a wrong call
// fails with a UsageError naming the loss and the shapes instead of an ATen
// message from deep inside a gather or a sort.
#include <ATen/core/Tensor.h>

#include <string>

namespace occ::losses::detail {

// "[2, 18, 4, 4, 2]"
std::string shape_text(const at::Tensor& tensor);

// scores [B, C, spatial...] against target [B, spatial...] (int64): the
// per-class tensor of the loss `loss_name` must match the target once the
// class dimension is left out.
void check_class_scores(const std::string& loss_name, const at::Tensor& scores, const at::Tensor& target);

// The optional voxel mask, when defined, has the target's shape.
void check_mask(const std::string& loss_name, const at::Tensor& mask, const at::Tensor& target);

}  // namespace occ::losses::detail
