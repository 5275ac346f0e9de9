#pragma once
// What occ needs to know about the linked LibTorch, without exposing torch
// headers to callers (the binary's other translation units stay fast to build).
#include <string>

namespace occ::nn {

std::string torch_version();
bool cuda_available();
// Applies -j (0: all hardware threads) to the whole process: occ's own
// parallel loops and OpenCV (occ::set_thread_budget) and LibTorch's intra-op
// pool; also flushes subnormal floats to zero (they make CPU training crawl).
void apply_thread_budget(int threads);

}  // namespace occ::nn
