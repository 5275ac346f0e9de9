#pragma once
// Let Occ Flow's 3D refinement of the (temporally fused) TPV volume
// (../shared/reference/letoccflow.md "Pipeline"; the released config's
// temporal_encoder_backbone CustomResNet3D, temporal_encoder_neck FPN3D and
// decoder Occ_Decoder, which come from BEVDet / FB-BEV):
//  - Resnet3d: stages of BasicBlock3D (3x3x3 conv (stride) - BN - ReLU -
//    3x3x3 conv - BN, plus a shortcut that is a strided 3x3x3 conv - BN in
//    the first block of every stage, ReLU of the sum); blocks [1, 2, 4],
//    channels [C, 2C, 4C], strides [1, 2, 2]; every stage is an output.
//  - Fpn3d: 1x1x1 lateral conv - BN - ReLU to C per level, top-down sum with
//    trilinear upsampling (align_corners=false), then 3x3x3 conv - BN - ReLU.
//  - OccDecoder: a 2x2x2 stride-2 deconvolution - BN - ReLU of level 0 to E
//    channels at twice the TPV resolution, a 3x3x3 conv - BN - ReLU to E per
//    level, softmax level weights per voxel from the deconvolved features
//    (1x1x1 conv E -> E/2 - BN - ReLU - 1x1x1 conv -> levels + 1), every map
//    resized trilinearly (align_corners=false) to the deconvolved size and
//    summed with its weight. The reference's E is C / 2 (96 at C = 192);
//    here E = model.head_dims (CHOSEN: the heads' width names it).
// Convolutions have no bias (the reference's conv_cfg bias=False) except
// none; BN3d everywhere (the released nuScenes config).
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

namespace occ::models {

class Resnet3dImpl : public torch::nn::Module {
 public:
  // in_channels C; blocks per stage (LOF [1, 2, 4]); stage s has C * 2^s
  // channels and stride 1 for s = 0, else 2.
  Resnet3dImpl(int64_t in_channels, const std::vector<int64_t>& blocks);
  // [B, C, X, Y, Z] -> one map per stage.
  std::vector<at::Tensor> forward(const at::Tensor& volume);
  const std::vector<int64_t>& stage_channels() const { return channels_; }

 private:
  struct Block {
    torch::nn::Sequential residual{nullptr}, shortcut{nullptr};
  };
  std::vector<std::vector<Block>> stages_;
  std::vector<int64_t> channels_;
};
TORCH_MODULE(Resnet3d);

class Fpn3dImpl : public torch::nn::Module {
 public:
  Fpn3dImpl(const std::vector<int64_t>& in_channels, int64_t out_channels);
  std::vector<at::Tensor> forward(const std::vector<at::Tensor>& levels);

  torch::nn::ModuleList lateral{nullptr}, output{nullptr};
};
TORCH_MODULE(Fpn3d);

class OccDecoderImpl : public torch::nn::Module {
 public:
  OccDecoderImpl(int64_t in_channels, int64_t levels, int64_t out_channels);
  // levels [B, C, X_l, Y_l, Z_l], level 0 the finest -> [B, E, 2 X_0, 2 Y_0, 2 Z_0].
  at::Tensor forward(const std::vector<at::Tensor>& levels);

  torch::nn::Sequential deblock{nullptr}, level_weights{nullptr};
  torch::nn::ModuleList level_convs{nullptr};
};
TORCH_MODULE(OccDecoder);

}  // namespace occ::models
