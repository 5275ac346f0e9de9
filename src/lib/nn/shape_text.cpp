#include "nn/shape_text.h"

namespace occ::nn {

std::string shape_text(const at::Tensor& tensor) {
  if (!tensor.defined()) return "undefined";
  std::string text = "[";
  for (int64_t i = 0; i < tensor.dim(); ++i) text += (i ? ", " : "") + std::to_string(tensor.size(i));
  return text + "]";
}

}  // namespace occ::nn
