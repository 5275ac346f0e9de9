#include "nn/runtime.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "core/threads.h"

namespace occ::nn {

std::string torch_version() {
  return TORCH_VERSION;
}

bool cuda_available() {
  return torch::cuda::is_available();
}

void apply_thread_budget(int threads) {
  set_thread_budget(threads);
  // Subnormal floats are 10-100x slower on x86; training drifts small
  // activations and gradients into that range and steps slowed from 0.09 s to
  // 2 s within ten steps. Flushing them to zero (torch.set_flush_denormal) is
  // set here, before LibTorch starts its worker threads, which inherit it.
  at::globalContext().setFlushDenormal(true);
  at::set_num_threads(thread_budget());
}

}  // namespace occ::nn
