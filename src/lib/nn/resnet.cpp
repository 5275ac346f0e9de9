#include "nn/resnet.h"

#include <torch/nn/init.h>

#include <string>
#include <utility>

#include "core/error.h"

namespace occ::nn {
namespace {

// Blocks per stage (He et al. 2016, Table 1).
std::vector<int64_t> blocks_per_stage(int depth) {
  switch (depth) {
    case 18:
      return {2, 2, 2, 2};
    case 34:
      return {3, 4, 6, 3};
    case 50:
      return {3, 4, 6, 3};
    case 101:
      return {3, 4, 23, 3};
    default:
      throw UsageError("unsupported resnet depth " + std::to_string(depth) + " (supported: 18, 34, 50, 101)");
  }
}

bool uses_bottleneck(int depth) {
  return depth >= 50;
}

torch::nn::Conv2d conv_no_bias(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  // Every conv is followed by BN, which makes a conv bias redundant; torchvision
  // leaves it out, so the state dict has no conv biases either.
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

// The projection shortcut (He et al. 2016, option B): used when the block
// changes resolution or width. Indices 0/1 match torchvision's Sequential.
torch::nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride) {
  if (stride == 1 && in == out) return nullptr;
  return torch::nn::Sequential(conv_no_bias(in, out, 1, stride, 0), torch::nn::BatchNorm2d(out));
}

}  // namespace

int resnet_stage_channels(int depth, int stage_index) {
  blocks_per_stage(depth);  // validates depth
  if (stage_index < 0 || stage_index > 3)
    throw UsageError("resnet stage index " + std::to_string(stage_index) + " is outside 0..3");
  const int expansion = uses_bottleneck(depth) ? 4 : 1;
  return (64 << stage_index) * expansion;
}

BasicBlockImpl::BasicBlockImpl(int64_t in_channels, int64_t planes, int64_t stride) {
  conv1_ = register_module("conv1", conv_no_bias(in_channels, planes, 3, stride, 1));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(planes));
  conv2_ = register_module("conv2", conv_no_bias(planes, planes, 3, 1, 1));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(planes));
  downsample_ = make_downsample(in_channels, planes * kExpansion, stride);
  if (downsample_) register_module("downsample", downsample_);
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& input) {
  auto out = torch::relu(bn1_(conv1_(input)));
  out = bn2_(conv2_(out));
  const auto identity = downsample_ ? downsample_->forward(input) : input;
  return torch::relu(out + identity);
}

BottleneckImpl::BottleneckImpl(int64_t in_channels, int64_t planes, int64_t stride, ResNetStyle style) {
  const int64_t stride_1x1 = style == ResNetStyle::Caffe ? stride : 1;
  const int64_t stride_3x3 = style == ResNetStyle::Caffe ? 1 : stride;
  conv1_ = register_module("conv1", conv_no_bias(in_channels, planes, 1, stride_1x1, 0));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(planes));
  conv2_ = register_module("conv2", conv_no_bias(planes, planes, 3, stride_3x3, 1));
  bn2_ = register_module("bn2", torch::nn::BatchNorm2d(planes));
  conv3_ = register_module("conv3", conv_no_bias(planes, planes * kExpansion, 1, 1, 0));
  bn3_ = register_module("bn3", torch::nn::BatchNorm2d(planes * kExpansion));
  downsample_ = make_downsample(in_channels, planes * kExpansion, stride);
  if (downsample_) register_module("downsample", downsample_);
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& input) {
  auto out = torch::relu(bn1_(conv1_(input)));
  out = torch::relu(bn2_(conv2_(out)));
  out = bn3_(conv3_(out));
  const auto identity = downsample_ ? downsample_->forward(input) : input;
  return torch::relu(out + identity);
}

ResNetImpl::ResNetImpl(ResNetOptions options) : options_(std::move(options)) {
  const auto blocks = blocks_per_stage(options_.depth);
  int previous = -1;
  for (int index : options_.out_indices) {
    if (index < 0 || index > 3)
      throw UsageError("resnet out index " + std::to_string(index) + " is outside 0..3");
    if (index <= previous) throw UsageError("resnet out indices must be strictly increasing");
    previous = index;
  }
  if (options_.out_indices.empty()) throw UsageError("resnet needs at least one out index");
  if (options_.frozen_stages < -1 || options_.frozen_stages > 4)
    throw UsageError("resnet frozen_stages " + std::to_string(options_.frozen_stages) + " is outside -1..4");

  // Stem: 7x7/2 conv and 3x3/2 max pool, stride 4 before layer1.
  conv1_ = register_module("conv1", conv_no_bias(3, 64, 7, 2, 3));
  bn1_ = register_module("bn1", torch::nn::BatchNorm2d(64));
  maxpool_ =
      register_module("maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));

  const bool bottleneck = uses_bottleneck(options_.depth);
  const int64_t expansion = bottleneck ? BottleneckImpl::kExpansion : BasicBlockImpl::kExpansion;
  int64_t in_channels = 64;
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t planes = int64_t{64} << stage;
    const int64_t stride = stage == 0 ? 1 : 2;
    torch::nn::Sequential layer;
    for (int64_t block = 0; block < blocks[static_cast<size_t>(stage)]; ++block) {
      const int64_t block_stride = block == 0 ? stride : 1;
      if (bottleneck)
        layer->push_back(Bottleneck(in_channels, planes, block_stride, options_.style));
      else
        layer->push_back(BasicBlock(in_channels, planes, block_stride));
      in_channels = planes * expansion;
    }
    stages_.push_back(register_module("layer" + std::to_string(stage + 1), layer));
  }

  // torchvision's initialisation: He (Kaiming) normal in fan_out mode for
  // convs, BN scale 1 and shift 0.
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(bn->weight);
      torch::nn::init::zeros_(bn->bias);
    }
  }
  freeze_stages();
  train(is_training());
}

std::vector<torch::Tensor> ResNetImpl::forward(const torch::Tensor& images) {
  if (images.dim() != 4 || images.size(1) != 3) throw UsageError("resnet expects images shaped [N, 3, H, W]");
  auto x = maxpool_(torch::relu(bn1_(conv1_(images))));
  std::vector<torch::Tensor> outputs;
  size_t next_out = 0;
  const int last_needed = options_.out_indices.back();
  for (int stage = 0; stage <= last_needed; ++stage) {
    x = stages_[static_cast<size_t>(stage)]->forward(x);
    if (options_.out_indices[next_out] == stage) {
      outputs.push_back(x);
      ++next_out;
    }
  }
  return outputs;
}

std::vector<int64_t> ResNetImpl::out_channels() const {
  std::vector<int64_t> channels;
  for (int index : options_.out_indices) channels.push_back(resnet_stage_channels(options_.depth, index));
  return channels;
}

std::vector<std::string> ResNetImpl::stage_parameter_prefixes(int stage) const {
  return {"layer" + std::to_string(stage + 1) + "."};
}

void ResNetImpl::freeze_stages() {
  auto freeze = [](torch::nn::Module& module) {
    for (auto& parameter : module.parameters()) parameter.set_requires_grad(false);
  };
  if (options_.frozen_stages >= 0) {
    freeze(*conv1_);
    freeze(*bn1_);
  }
  for (int stage = 0; stage < options_.frozen_stages; ++stage) freeze(*stages_[static_cast<size_t>(stage)]);
}

void ResNetImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (!on) return;
  // Frozen stages also keep their BN statistics fixed (mmdet's
  // ResNet._freeze_stages puts them in eval mode on every train()).
  if (options_.frozen_stages >= 0) bn1_->eval();
  for (int stage = 0; stage < options_.frozen_stages; ++stage) stages_[static_cast<size_t>(stage)]->eval();
  if (options_.norm_eval) {
    for (auto& module : modules(/*include_self=*/false))
      if (module->as<torch::nn::BatchNorm2d>()) module->eval();
  }
}

StateDictLoadResult load_resnet_weights(ResNetImpl& resnet, const std::string& path) {
  const auto entries = read_state_dict(path);
  StateDictLoadOptions options;
  const std::string detector_prefix = "backbone.";
  for (const auto& entry : entries)
    if (entry.first.compare(0, detector_prefix.size(), detector_prefix) == 0)
      options.source_prefix = detector_prefix;
  options.ignored_prefixes = {"fc."};
  return load_state_dict(resnet, entries, options, "backbone weights " + quoted(path));
}

}  // namespace occ::nn
