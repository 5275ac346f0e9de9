#pragma once
// ConvNeXt image backbone (Liu et al., "A ConvNet for the 2020s", CVPR 2022)
// with torchvision's module layout (torchvision.models.convnext_tiny/small/
// base), so that a state dict saved from torchvision loads by name:
//   features.0.{0 (4x4/4 conv), 1 (LayerNorm2d)}                      stem
//   features.{1,3,5,7}.{block}.block.{0 (7x7 depthwise conv),
//       2 (LayerNorm over channels), 3 (Linear C->4C), 5 (Linear 4C->C)},
//   features.{1,3,5,7}.{block}.layer_scale [C, 1, 1]                 stages
//   features.{2,4,6}.{0 (LayerNorm2d), 1 (2x2/2 conv)}                downsampling
// (indices 1, 4 and 6 of a block are torchvision's parameter-free Permute,
// GELU, Permute). There is no classifier head: the backbone returns stage
// outputs for an FPN. Checkpoints in the original (facebookresearch/
// ConvNeXt, "official style", as SparK and Let Occ Flow save them) layout
// load too: load_convnext_weights renames them.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

#include "nn/stage_backbone.h"
#include "nn/state_dict.h"

namespace occ::nn {

// torchvision's (and the paper's, Table 1 / Sec. 3) variants: blocks per
// stage and widths. Tiny [3, 3, 9, 3] x [96, 192, 384, 768]; Small [3, 3, 27,
// 3] x the same widths; Base [3, 3, 27, 3] x [128, 256, 512, 1024].
enum class ConvNeXtSize { Tiny, Small, Base };

// "tiny", "small", "base" -> the size; UsageError otherwise.
ConvNeXtSize convnext_size(const std::string& name);
// Channels of stage `stage_index` (0..3).
int64_t convnext_stage_channels(ConvNeXtSize size, int stage_index);
std::vector<int64_t> convnext_stage_blocks(ConvNeXtSize size);

struct ConvNeXtOptions {
  ConvNeXtSize size = ConvNeXtSize::Tiny;
  // Which stages (0..3, strides 4..32) forward() returns, increasing.
  std::vector<int> out_indices = {0, 1, 2, 3};
  // As ResNet's (mmdet's frozen_stages): -1 nothing, 0 the stem, k >= 1 the
  // stem and stages 1..k with the downsampling layers between them. Frozen
  // parameters get requires_grad = false and their blocks stay in eval mode
  // (no stochastic depth). Let Occ Flow's ConvNeXt counts differently: its
  // frozen_stages = k freezes k (stem/downsampling, stage) pairs, so its 0 is
  // -1 here and its k >= 1 is k here.
  int frozen_stages = -1;
  // Stochastic depth (Huang et al., "Deep Networks with Stochastic Depth",
  // ECCV 2016) rate of the last block; block b of the B blocks (counted over
  // all stages from 0) drops its residual branch with probability
  // drop_path * b / (B - 1) in training, per sample (torchvision's
  // StochasticDepth mode "row", survivors scaled by 1 / (1 - p)).
  double drop_path = 0.0;
  // A LayerNorm2d on each returned stage, parameters norm<stage>.{weight,
  // bias} (Let Occ Flow's and mmdet-style ConvNeXt's norm_out). Torchvision
  // files have none: they load with these norms at their initial identity.
  bool norm_out = false;
  // Initial value of every block's layer scale (torchvision and the paper:
  // 1e-6).
  double layer_scale = 1e-6;
};

// LayerNorm over the channels of an [N, C, H, W] map (torchvision's
// LayerNorm2d: eps 1e-6, parameters weight, bias of shape [C]).
class LayerNorm2dImpl : public torch::nn::Module {
 public:
  explicit LayerNorm2dImpl(int64_t channels, double eps = 1e-6);
  torch::Tensor forward(const torch::Tensor& input);

  torch::Tensor weight, bias;

 private:
  double eps_;
};
TORCH_MODULE(LayerNorm2d);

// torchvision's CNBlock: 7x7 depthwise conv -> LayerNorm (channels last) ->
// Linear C->4C -> GELU -> Linear 4C->C, times the layer scale, stochastic
// depth, plus the input.
class CNBlockImpl : public torch::nn::Module {
 public:
  CNBlockImpl(int64_t channels, double layer_scale, double drop_probability);
  torch::Tensor forward(const torch::Tensor& input);

  double drop_probability() const { return drop_probability_; }

 private:
  torch::nn::Conv2d depthwise_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Linear expand_{nullptr}, project_{nullptr};
  torch::Tensor layer_scale_;
  double drop_probability_;
};
TORCH_MODULE(CNBlock);

class ConvNeXtImpl : public StageBackboneImpl {
 public:
  explicit ConvNeXtImpl(ConvNeXtOptions options = {});

  // images: [N, 3, H, W]. Returns the stages selected by out_indices, stage i
  // at stride 2^(i+2) (sizes floor-divided by each stride-s conv) with
  // convnext_stage_channels(size, i) channels.
  std::vector<torch::Tensor> forward(const torch::Tensor& images) override;

  // Keeps frozen stages in eval mode on top of the usual mode switch.
  void train(bool on = true) override;

  const ConvNeXtOptions& options() const { return options_; }
  const std::vector<int>& out_indices() const override { return options_.out_indices; }
  std::vector<int64_t> out_channels() const override;
  // Stage s's blocks (features.<2s+1>.) and, for s >= 1, the downsampling
  // layer before it (features.<2s>.).
  std::vector<std::string> stage_parameter_prefixes(int stage) const override;

 private:
  void freeze_stages();
  int last_frozen_feature() const;  // index into features_, -1: none

  ConvNeXtOptions options_;
  // features.0 .. features.7 as torchvision numbers them.
  std::vector<torch::nn::Sequential> features_;
  std::vector<LayerNorm2d> out_norms_;  // one per out index when norm_out
};
TORCH_MODULE(ConvNeXt);

// The state dict of a file in the original ConvNeXt layout (downsample_layers.
// i, stages.i.j.{dwconv, norm, pwconv1, pwconv2, gamma}; SparK's and Let Occ
// Flow's "official style" checkpoints) under torchvision's names, gamma [C]
// reshaped to layer_scale [C, 1, 1]; the classifier (norm., head.) dropped;
// norm<i>. and other names unchanged. Entries already in torchvision's layout
// pass through.
NamedTensors convnext_torchvision_names(const NamedTensors& entries);

// Loads backbone weights saved from Python (`--backbone-weights`): a
// torchvision ConvNeXt state dict (its classifier.* is ignored), the same in
// the original layout (convnext_torchvision_names), or a detector checkpoint
// whose backbone entries carry the "backbone." prefix, in which case only
// those are used. With norm_out, output norms the file lacks keep their
// initial identity. Strict otherwise: missing, unexpected or mis-shaped
// parameters throw FormatError naming them.
StateDictLoadResult load_convnext_weights(ConvNeXtImpl& convnext, const std::string& path);

}  // namespace occ::nn
