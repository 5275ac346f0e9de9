#include "models/letoccflow/volume_decoder.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include <algorithm>
#include <string>

#include "core/error.h"
#include "nn/shape_text.h"

namespace occ::models {
namespace {

// Conv3d (no bias) - BN3d [- ReLU].
torch::nn::Sequential conv_bn(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool relu) {
  torch::nn::Sequential layers(
      torch::nn::Conv3d(
          torch::nn::Conv3dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false)),
      torch::nn::BatchNorm3d(out));
  if (relu) layers->push_back(torch::nn::ReLU());
  return layers;
}

// BasicBlock3D's residual branch: conv3 (stride) - BN - ReLU - conv3 - BN.
torch::nn::Sequential basic_residual(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Sequential(
      torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, 3).stride(stride).padding(1).bias(false)),
      torch::nn::BatchNorm3d(out), torch::nn::ReLU(),
      torch::nn::Conv3d(torch::nn::Conv3dOptions(out, out, 3).padding(1).bias(false)),
      torch::nn::BatchNorm3d(out));
}

at::Tensor resized(const at::Tensor& volume, at::IntArrayRef size) {
  if (volume.sizes().slice(2) == size) return volume;
  return at::upsample_trilinear3d(volume, size, false);
}

}  // namespace

Resnet3dImpl::Resnet3dImpl(int64_t in_channels, const std::vector<int64_t>& blocks) {
  if (blocks.empty() || *std::min_element(blocks.begin(), blocks.end()) < 1)
    throw UsageError("3D ResNet: every stage needs at least one block");
  int64_t channels = in_channels;
  for (size_t s = 0; s < blocks.size(); ++s) {
    const int64_t out = in_channels << s;
    const int64_t stride = s == 0 ? 1 : 2;
    std::vector<Block> stage;
    for (int64_t i = 0; i < blocks[s]; ++i) {
      const std::string name = "stage" + std::to_string(s) + "_block" + std::to_string(i);
      Block block;
      block.residual = register_module(name, basic_residual(channels, out, i == 0 ? stride : 1));
      if (i == 0)
        block.shortcut = register_module(name + "_shortcut", conv_bn(channels, out, 3, stride, false));
      stage.push_back(block);
      channels = out;
    }
    stages_.push_back(stage);
    channels_.push_back(out);
  }
}

std::vector<at::Tensor> Resnet3dImpl::forward(const at::Tensor& volume) {
  std::vector<at::Tensor> outputs;
  at::Tensor x = volume;
  for (auto& stage : stages_) {
    for (auto& block : stage) {
      const at::Tensor identity = block.shortcut ? block.shortcut->forward(x) : x;
      x = at::relu(block.residual->forward(x) + identity);
    }
    outputs.push_back(x);
  }
  return outputs;
}

Fpn3dImpl::Fpn3dImpl(const std::vector<int64_t>& in_channels, int64_t out_channels) {
  lateral = register_module("lateral", torch::nn::ModuleList());
  output = register_module("output", torch::nn::ModuleList());
  for (const int64_t channels : in_channels) {
    lateral->push_back(conv_bn(channels, out_channels, 1, 1, true));
    output->push_back(conv_bn(out_channels, out_channels, 3, 1, true));
  }
}

std::vector<at::Tensor> Fpn3dImpl::forward(const std::vector<at::Tensor>& levels) {
  if (levels.size() != lateral->size())
    throw UsageError("FPN3D: " + std::to_string(levels.size()) + " levels for " +
                     std::to_string(lateral->size()));
  std::vector<at::Tensor> laterals;
  for (size_t i = 0; i < levels.size(); ++i)
    laterals.push_back(lateral->at<torch::nn::SequentialImpl>(i).forward(levels[i]));
  for (size_t i = levels.size() - 1; i > 0; --i)
    laterals[i - 1] = laterals[i - 1] + resized(laterals[i], laterals[i - 1].sizes().slice(2));
  std::vector<at::Tensor> outputs;
  for (size_t i = 0; i < laterals.size(); ++i)
    outputs.push_back(output->at<torch::nn::SequentialImpl>(i).forward(laterals[i]));
  return outputs;
}

OccDecoderImpl::OccDecoderImpl(int64_t in_channels, int64_t levels, int64_t out_channels) {
  deblock = register_module(
      "deblock",
      torch::nn::Sequential(
          torch::nn::ConvTranspose3d(
              torch::nn::ConvTranspose3dOptions(in_channels, out_channels, 2).stride(2).bias(false)),
          torch::nn::BatchNorm3d(out_channels), torch::nn::ReLU()));
  level_convs = register_module("level_convs", torch::nn::ModuleList());
  for (int64_t level = 0; level < levels; ++level)
    level_convs->push_back(conv_bn(in_channels, out_channels, 3, 1, true));
  const int64_t hidden = std::max<int64_t>(1, out_channels / 2);
  torch::nn::Sequential weights = conv_bn(out_channels, hidden, 1, 1, true);
  weights->push_back(torch::nn::Conv3d(torch::nn::Conv3dOptions(hidden, levels + 1, 1).bias(false)));
  level_weights = register_module("level_weights", weights);
}

at::Tensor OccDecoderImpl::forward(const std::vector<at::Tensor>& levels) {
  if (levels.size() != level_convs->size())
    throw UsageError("occupancy decoder: " + std::to_string(levels.size()) + " levels for " +
                     std::to_string(level_convs->size()));
  std::vector<at::Tensor> maps{deblock->forward(levels[0])};
  for (size_t i = 0; i < levels.size(); ++i)
    maps.push_back(level_convs->at<torch::nn::SequentialImpl>(i).forward(levels[i]));
  const at::Tensor weights = at::softmax(level_weights->forward(maps[0]), 1);
  const at::IntArrayRef size = maps[0].sizes().slice(2);
  at::Tensor out = at::zeros_like(maps[0]);
  for (size_t i = 0; i < maps.size(); ++i)
    out = out + resized(maps[i], size) * weights.narrow(1, static_cast<int64_t>(i), 1);
  return out;
}

}  // namespace occ::models
