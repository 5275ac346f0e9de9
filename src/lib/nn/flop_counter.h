#pragma once
// Counts the multiply-accumulates (MACs) of the operators a forward pass runs,
// from their input shapes, as fvcore and mmcv's get_flops do (papers quote
// these as "FLOPs"): convolutions (aten::convolution, transposed too),
// matrix products (linear, matmul, mm, bmm, addmm, baddbmm), bilinear
// sampling (grid_sampler_2d: 4 per output value) and occ's fused
// deformable attention (occ::msda) and fast x2 transposed convolution
// (occ::upsampling_conv_transpose3d, counted as the ConvTranspose3d it equals).
// Element-wise operators, norms and softmax are not counted (as fvcore).
// An operator inside a counted one (the mm inside a linear) is not counted
// again.
#include <cstdint>
#include <map>
#include <string>

namespace occ::nn {

class FlopCounter {
 public:
  // Starts counting operators run on this thread; one counter at a time.
  FlopCounter();
  ~FlopCounter();
  FlopCounter(const FlopCounter&) = delete;
  FlopCounter& operator=(const FlopCounter&) = delete;

  int64_t total_macs() const;
  // MACs per operator name.
  std::map<std::string, int64_t> by_operator() const;
};

}  // namespace occ::nn
