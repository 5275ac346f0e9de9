#pragma once
// A tensor's shape for error messages: "[2, 3, 4]", or "undefined".
#include <ATen/core/Tensor.h>

#include <string>

namespace occ::nn {

std::string shape_text(const at::Tensor& tensor);

}  // namespace occ::nn
