#pragma once
// What every image backbone of the shared camera-model backbone gives the
// FPN: a module that turns images [N, 3, H, W] into the outputs of its four
// stages (0..3, strides 4, 8, 16, 32) selected by out indices. ResNet
// (nn/resnet.h) and ConvNeXt (nn/convnext.h) are the two kinds; the models
// hold either through this interface (models/image_backbone.h).
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace occ::nn {

class StageBackboneImpl : public torch::nn::Module {
 public:
  // images: [N, 3, H, W]. Returns the stages of out_indices(), stage i at
  // stride 2^(i+2), fine to coarse.
  virtual std::vector<torch::Tensor> forward(const torch::Tensor& images) = 0;
  // The stages forward() returns, strictly increasing among 0..3.
  virtual const std::vector<int>& out_indices() const = 0;
  // Channels of each returned output, in the order forward() returns them.
  virtual std::vector<int64_t> out_channels() const = 0;
  // Prefixes of the parameter names that belong to stage `stage` (0..3) and
  // run only when that stage runs (ResNet: "layer<stage+1>."; ConvNeXt: the
  // stage's blocks and the downsampling layer before it). A stage after the
  // last out index never runs; the shared backbone freezes its parameters.
  virtual std::vector<std::string> stage_parameter_prefixes(int stage) const = 0;
};

// A holder of either kind ("backbone" of a model): backbone->forward(...),
// backbone.ptr() as for any TORCH_MODULE.
using StageBackbone = torch::nn::ModuleHolder<StageBackboneImpl>;

}  // namespace occ::nn
