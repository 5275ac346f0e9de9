#pragma once
// ResNet image backbone (He et al., "Deep Residual Learning for Image
// Recognition", CVPR 2016) with torchvision's module layout, so that a state
// dict saved from torchvision.models.resnetXX loads by name:
//   conv1, bn1, layer{1..4}.{block}.{conv1,bn1,conv2,bn2[,conv3,bn3]},
//   layer{1..4}.0.downsample.{0 (1x1 conv), 1 (BN)}.
// Bottleneck blocks put the stride on the 3x3 conv (torchvision's "ResNet
// v1.5", also mmdet's style='pytorch'). There is no fc head: the backbone
// returns stage outputs for an FPN, as in mmdet's ResNet.
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "nn/stage_backbone.h"
#include "nn/state_dict.h"

namespace occ::nn {

// Where a bottleneck block strides (mmdet's ResNet `style`). PyTorch: on the
// 3x3 conv (torchvision, "ResNet v1.5"). Caffe: on the first 1x1 conv, as in
// the original Caffe models and the caffe-style checkpoints detection
// codebases start from (e.g. FCOS3D's ResNet-101 used by PanoOcc). Parameter
// names and shapes are the same; basic blocks are unaffected.
enum class ResNetStyle { PyTorch, Caffe };

struct ResNetOptions {
  // 18 and 34 use basic blocks, 50 and 101 bottleneck blocks (He et al. 2016,
  // Table 1).
  int depth = 50;
  // Which stages (0 = layer1 at stride 4 ... 3 = layer4 at stride 32) forward()
  // returns, in increasing order. mmdet's default returns all four.
  std::vector<int> out_indices = {0, 1, 2, 3};
  // mmdet's frozen_stages: -1 freezes nothing, 0 the stem (conv1, bn1), k >= 1
  // the stem and layer1..layerk. Frozen parameters get requires_grad = false
  // and their BN layers stay in eval mode.
  int frozen_stages = -1;
  // mmdet's norm_eval: keep every BN layer in eval mode (running statistics
  // neither used from the batch nor updated) even in train(). Detection
  // configs set it because their batches are too small for BN statistics.
  bool norm_eval = false;
  ResNetStyle style = ResNetStyle::PyTorch;
};

// Channel count of stage `stage_index` (0..3) for a given depth: 64..512 for
// basic blocks, 256..2048 for bottlenecks (expansion 4).
int resnet_stage_channels(int depth, int stage_index);

// torchvision's BasicBlock: two 3x3 convs, the first carrying the stride.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in_channels, int64_t planes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& input);

  static constexpr int64_t kExpansion = 1;

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(BasicBlock);

// torchvision's Bottleneck: 1x1 reduce, 3x3 (strided), 1x1 expand by 4.
class BottleneckImpl : public torch::nn::Module {
 public:
  BottleneckImpl(int64_t in_channels, int64_t planes, int64_t stride,
                 ResNetStyle style = ResNetStyle::PyTorch);
  torch::Tensor forward(const torch::Tensor& input);

  static constexpr int64_t kExpansion = 4;

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(Bottleneck);

class ResNetImpl : public StageBackboneImpl {
 public:
  explicit ResNetImpl(ResNetOptions options = {});

  // images: [N, 3, H, W]. Returns the stages selected by out_indices, stage i
  // at stride 2^(i+2) with resnet_stage_channels(depth, i) channels.
  std::vector<torch::Tensor> forward(const torch::Tensor& images) override;

  // Applies norm_eval and frozen_stages on top of the usual mode switch.
  void train(bool on = true) override;

  const ResNetOptions& options() const { return options_; }
  const std::vector<int>& out_indices() const override { return options_.out_indices; }
  // Channels of each returned output, in the order forward() returns them.
  std::vector<int64_t> out_channels() const override;
  // "layer<stage + 1>.".
  std::vector<std::string> stage_parameter_prefixes(int stage) const override;

 private:
  void freeze_stages();

  ResNetOptions options_;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::MaxPool2d maxpool_{nullptr};
  std::vector<torch::nn::Sequential> stages_;
};
TORCH_MODULE(ResNet);

// Loads backbone weights saved from Python (`--backbone-weights`): a
// torchvision state dict (its classifier fc.* is ignored) or a detector
// checkpoint whose backbone entries carry the "backbone." prefix (mmdet), in
// which case only those are used. Strict otherwise: missing, unexpected or
// mis-shaped parameters throw FormatError naming them.
StateDictLoadResult load_resnet_weights(ResNetImpl& resnet, const std::string& path);

}  // namespace occ::nn
