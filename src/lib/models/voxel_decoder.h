#pragma once
// PanoOcc's voxel decoder (protoocc.md, "Baseline architecture"): x2
// upsampling steps of ConvTranspose3d (nn::UpsamplingConvTranspose3d, the same
// operator computed faster) + BatchNorm3d + ReLU from the query
// volume to the output grid, a per-voxel MLP classifier and an optional
// occupancy head. The x2 step can instead be trilinear resizing + a 3x3x3
// convolution (nn::TrilinearUpsamplingConv3d), without the transposed
// convolution's alternating taps.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>
#include <vector>

namespace occ::models {

// Which axes each x2 step doubles: an axis is doubled at every step while it
// is still smaller than the grid. Throws UsageError naming model.query_shape
// and model.decoder_channels when some axis cannot reach the grid by
// doubling, or when it takes a different number of steps than `steps`.
std::vector<std::array<bool, 3>> plan_upsampling(const std::array<int64_t, 3>& query_shape,
                                                 const std::array<int64_t, 3>& grid_shape, size_t steps);

// How each x2 step upsamples (model.decoder_upsampling).
enum class DecoderUpsampling {
  deconv,     // ConvTranspose3d kernel 4, stride 2 (PanoOcc)
  trilinear,  // trilinear x2 + Conv3d 3x3x3
};

struct VoxelDecoderOptions {
  int64_t in_channels = 256;
  std::array<int64_t, 3> query_shape{50, 50, 16};
  std::array<int64_t, 3> grid_shape{200, 200, 16};
  // Output channels of each x2 step (PanoOcc-Small: 256, 32; Base: 32).
  std::vector<int64_t> channels{256, 32};
  DecoderUpsampling upsampling = DecoderUpsampling::deconv;
  int64_t classifier_hidden = 128;
  int64_t num_classes = 18;
  bool occupancy_head = false;
};

struct VoxelDecoderOutput {
  at::Tensor features;         // [B, C_out, X, Y, Z] after the last step
  at::Tensor logits;           // [B, num_classes, X, Y, Z]
  at::Tensor occupancy_logit;  // [B, X, Y, Z] or undefined
};

class VoxelDecoderImpl : public torch::nn::Module {
 public:
  explicit VoxelDecoderImpl(const VoxelDecoderOptions& options = {});

  // volume [B, in_channels, Xq, Yq, Zq].
  VoxelDecoderOutput forward(const at::Tensor& volume);

  // Channels after the upsampling (the last of `channels`, or in_channels
  // when there is no step).
  int64_t out_channels() const { return out_channels_; }

  torch::nn::Sequential upsampling{nullptr};
  // Per voxel: Linear out->hidden, Softplus, hidden->hidden, Softplus,
  // hidden->out (PanoOcc's MLP), then out->num_classes.
  torch::nn::Sequential classifier{nullptr};
  torch::nn::Conv3d occupancy{nullptr};  // null without the occupancy head

 private:
  VoxelDecoderOptions options_;
  int64_t out_channels_ = 0;
};
TORCH_MODULE(VoxelDecoder);

}  // namespace occ::models
