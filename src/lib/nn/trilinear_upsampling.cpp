#include "nn/trilinear_upsampling.h"

#include <ATen/ATen.h>
#include <torch/nn/modules/conv.h>

#include <vector>

#include "core/error.h"
#include "core/strings.h"

namespace occ::nn {

at::Tensor trilinear_double(const at::Tensor& input, const std::array<bool, 3>& doubled) {
  if (input.dim() != 5)
    throw Error(occ::str("trilinear_double: input must be [B, C, X, Y, Z], got ", input.sizes()));
  std::vector<int64_t> size;
  for (int axis = 0; axis < 3; ++axis) size.push_back(input.size(2 + axis) * (doubled[axis] ? 2 : 1));
  return at::upsample_trilinear3d(input, size, /*align_corners=*/false);
}

TrilinearUpsamplingConv3dImpl::TrilinearUpsamplingConv3dImpl(int64_t in_channels, int64_t out_channels,
                                                             std::array<bool, 3> doubled)
    : doubled_(doubled) {
  // LibTorch's own layer gives the weight its usual initialisation.
  torch::nn::Conv3d reference(torch::nn::Conv3dOptions(in_channels, out_channels, 3).padding(1).bias(false));
  weight = register_parameter("weight", reference->weight.detach().clone());
}

at::Tensor TrilinearUpsamplingConv3dImpl::forward(const at::Tensor& input) {
  return at::conv3d(trilinear_double(input, doubled_), weight, {}, /*stride=*/1, /*padding=*/1);
}

}  // namespace occ::nn
