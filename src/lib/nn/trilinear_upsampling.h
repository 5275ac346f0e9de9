#pragma once
// The alternative x2 step of the voxel decoder (model.decoder_upsampling
// "trilinear"): trilinear interpolation doubles the chosen axes, then a 3x3x3
// convolution (padding 1, no bias: BatchNorm follows) mixes the channels.
// Odena, Dumoulin & Olah, "Deconvolution and Checkerboard Artifacts"
// (Distill, 2016): a stride-2 transposed convolution with kernel 4 gives
// every other output row its own taps (nn/upsampling_conv.h: phase 0 uses
// taps 3 and 1, phase 1 taps 2 and 0), which shows as stripes; resizing first
// and convolving at the output resolution treats every output cell alike.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>

namespace occ::nn {

// input [B, C, X, Y, Z] -> [B, C, X', Y', Z'] with X' = 2X on doubled axes:
// trilinear, align_corners false (PyTorch's F.interpolate(scale_factor=2,
// mode="trilinear")), which on an undoubled axis copies the values.
at::Tensor trilinear_double(const at::Tensor& input, const std::array<bool, 3>& doubled);

// The layer: trilinear_double, then a Conv3d parameter "weight" [out, in, 3,
// 3, 3] initialised as torch::nn::Conv3d's.
class TrilinearUpsamplingConv3dImpl : public torch::nn::Module {
 public:
  TrilinearUpsamplingConv3dImpl(int64_t in_channels, int64_t out_channels, std::array<bool, 3> doubled);
  at::Tensor forward(const at::Tensor& input);

  at::Tensor weight;

 private:
  std::array<bool, 3> doubled_;
};
TORCH_MODULE(TrilinearUpsamplingConv3d);

}  // namespace occ::nn
