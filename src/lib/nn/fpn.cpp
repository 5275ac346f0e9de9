#include "nn/fpn.h"

#include <torch/nn/functional/pooling.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/init.h>

#include <string>
#include <utility>

#include "core/error.h"

namespace occ::nn {

FpnOptions FpnOptions::panoocc() {
  FpnOptions options;
  options.in_channels = {256, 512, 1024, 2048};
  options.out_channels = 256;
  options.num_outs = 5;
  options.extra_source = FpnExtraSource::OnOutput;
  options.relu_before_extra_convs = true;
  return options;
}

FpnConvImpl::FpnConvImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
  // mmcv's ConvModule keeps the conv bias when there is no norm layer.
  conv_ = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding)));
  // mmdet's FPN.init_weights: Xavier uniform, zero bias.
  torch::nn::init::xavier_uniform_(conv_->weight);
  torch::nn::init::zeros_(conv_->bias);
}

FpnImpl::FpnImpl(FpnOptions options) : options_(std::move(options)) {
  const int num_ins = static_cast<int>(options_.in_channels.size());
  if (num_ins == 0) throw UsageError("fpn needs at least one input level");
  end_level_ = options_.end_level == -1 ? num_ins : options_.end_level;
  if (options_.start_level < 0 || options_.start_level >= end_level_ || end_level_ > num_ins)
    throw UsageError("fpn levels " + std::to_string(options_.start_level) + ".." +
                     std::to_string(end_level_) + " do not fit " + std::to_string(num_ins) + " input levels");
  const int used_levels = end_level_ - options_.start_level;
  if (options_.num_outs < used_levels)
    throw UsageError("fpn num_outs " + std::to_string(options_.num_outs) + " is below the " +
                     std::to_string(used_levels) + " backbone levels used");
  if (options_.end_level != -1 && options_.num_outs != used_levels)
    throw UsageError("fpn with an explicit end_level outputs exactly its backbone levels");

  auto lateral_list = register_module("lateral_convs", torch::nn::ModuleList());
  auto output_list = register_module("fpn_convs", torch::nn::ModuleList());
  for (int level = options_.start_level; level < end_level_; ++level) {
    FpnConv lateral(options_.in_channels[static_cast<size_t>(level)], options_.out_channels, 1, 1, 0);
    FpnConv output(options_.out_channels, options_.out_channels, 3, 1, 1);
    lateral_list->push_back(lateral);
    output_list->push_back(output);
    lateral_convs_.push_back(lateral);
    fpn_convs_.push_back(output);
  }
  if (options_.extra_source != FpnExtraSource::None) {
    for (int extra = 0; extra < options_.num_outs - used_levels; ++extra) {
      const int64_t in = extra == 0 && options_.extra_source == FpnExtraSource::OnInput
                             ? options_.in_channels[static_cast<size_t>(end_level_ - 1)]
                             : options_.out_channels;
      FpnConv conv(in, options_.out_channels, 3, 2, 1);
      output_list->push_back(conv);
      fpn_convs_.push_back(conv);
    }
  }
}

std::vector<torch::Tensor> FpnImpl::forward(const std::vector<torch::Tensor>& inputs) {
  if (inputs.size() != options_.in_channels.size())
    throw UsageError("fpn expects " + std::to_string(options_.in_channels.size()) + " input levels, got " +
                     std::to_string(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].dim() != 4 || inputs[i].size(1) != options_.in_channels[i])
      throw UsageError("fpn input level " + std::to_string(i) + " must be [N, " +
                       std::to_string(options_.in_channels[i]) + ", H, W]");

  const size_t used = lateral_convs_.size();
  std::vector<torch::Tensor> laterals;
  for (size_t i = 0; i < used; ++i)
    laterals.push_back(lateral_convs_[i](inputs[static_cast<size_t>(options_.start_level) + i]));

  // Top-down pathway: nearest upsampling to the finer level's exact size (odd
  // sizes do not double exactly) and addition (Lin et al. 2017, Fig. 3).
  namespace F = torch::nn::functional;
  for (size_t i = used - 1; i > 0; --i) {
    const auto size = laterals[i - 1].sizes().slice(2).vec();
    laterals[i - 1] =
        laterals[i - 1] +
        F::interpolate(laterals[i], F::InterpolateFuncOptions().size(size).mode(torch::kNearest));
  }

  std::vector<torch::Tensor> outputs;
  for (size_t i = 0; i < used; ++i) outputs.push_back(fpn_convs_[i](laterals[i]));

  const size_t num_outs = static_cast<size_t>(options_.num_outs);
  if (options_.extra_source == FpnExtraSource::None) {
    while (outputs.size() < num_outs)
      outputs.push_back(F::max_pool2d(outputs.back(), F::MaxPool2dFuncOptions(1).stride(2)));
    return outputs;
  }
  if (outputs.size() < num_outs) {
    torch::Tensor source;
    switch (options_.extra_source) {
      case FpnExtraSource::OnInput:
        source = inputs[static_cast<size_t>(end_level_ - 1)];
        break;
      case FpnExtraSource::OnLateral:
        source = laterals.back();
        break;
      default:
        source = outputs.back();
        break;
    }
    // The first extra conv sees its source as is; mmdet applies the optional
    // ReLU only between extra convs.
    outputs.push_back(fpn_convs_[used](source));
    for (size_t i = used + 1; i < num_outs; ++i) {
      const auto input = options_.relu_before_extra_convs ? torch::relu(outputs.back()) : outputs.back();
      outputs.push_back(fpn_convs_[i](input));
    }
  }
  return outputs;
}

}  // namespace occ::nn
