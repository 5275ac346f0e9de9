#pragma once
// What occ needs to know about the linked LibTorch, without exposing torch
// headers to callers (the binary's other translation units stay fast to build).
#include <string>

namespace occ::nn {

std::string torch_version();
bool cuda_available();
// Applies the process thread budget (-j) to LibTorch's intra-op pool, and
// flushes subnormal floats to zero (they make CPU training crawl).
void set_torch_threads(int threads);

}  // namespace occ::nn
