#include "nn/runtime.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace occ::nn {

std::string torch_version() {
  return TORCH_VERSION;
}

bool cuda_available() {
  return torch::cuda::is_available();
}

void set_torch_threads(int threads) {
  if (threads > 0) at::set_num_threads(threads);
}

}  // namespace occ::nn
