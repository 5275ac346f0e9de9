#include "nn/convnext.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <utility>

#include "core/error.h"

namespace occ::nn {
namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Stochastic depth of a residual branch (Huang et al. 2016; torchvision.ops.
// stochastic_depth, mode "row"): each sample's branch is kept with
// probability 1 - p and then scaled by 1 / (1 - p), so its expectation is
// unchanged; identity outside training.
torch::Tensor drop_residual(const torch::Tensor& branch, double p, bool training) {
  if (!training || p <= 0.0) return branch;
  const double survival = 1.0 - p;
  std::vector<int64_t> shape(static_cast<size_t>(branch.dim()), 1);
  shape[0] = branch.size(0);
  torch::Tensor keep = at::empty(shape, branch.options()).bernoulli_(survival);
  if (survival > 0.0) keep.div_(survival);
  return branch * keep;
}

}  // namespace

ConvNeXtSize convnext_size(const std::string& name) {
  if (name == "tiny") return ConvNeXtSize::Tiny;
  if (name == "small") return ConvNeXtSize::Small;
  if (name == "base") return ConvNeXtSize::Base;
  throw UsageError("unknown ConvNeXt size " + quoted(name) + " (known: tiny, small, base)");
}

std::vector<int64_t> convnext_stage_blocks(ConvNeXtSize size) {
  if (size == ConvNeXtSize::Tiny) return {3, 3, 9, 3};
  return {3, 3, 27, 3};
}

int64_t convnext_stage_channels(ConvNeXtSize size, int stage_index) {
  if (stage_index < 0 || stage_index > 3)
    throw UsageError("convnext stage index " + std::to_string(stage_index) + " is outside 0..3");
  const int64_t first = size == ConvNeXtSize::Base ? 128 : 96;
  return first << stage_index;
}

LayerNorm2dImpl::LayerNorm2dImpl(int64_t channels, double eps) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({channels}));
  bias = register_parameter("bias", torch::zeros({channels}));
}

torch::Tensor LayerNorm2dImpl::forward(const torch::Tensor& input) {
  // torchvision's LayerNorm2d: normalise the channels of each pixel.
  const auto channels_last = input.permute({0, 2, 3, 1});
  return at::layer_norm(channels_last, {weight.size(0)}, weight, bias, eps_).permute({0, 3, 1, 2});
}

CNBlockImpl::CNBlockImpl(int64_t channels, double layer_scale, double drop_probability)
    : drop_probability_(drop_probability) {
  // "block" numbered as torchvision's Sequential: the parameter-free Permute,
  // GELU, Permute fill indices 1, 4 and 6 so the others keep their numbers.
  torch::nn::ModuleList block;
  depthwise_ = torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 7).padding(3).groups(channels));
  norm_ = torch::nn::LayerNorm(torch::nn::LayerNormOptions({channels}).eps(1e-6));
  expand_ = torch::nn::Linear(channels, 4 * channels);
  project_ = torch::nn::Linear(4 * channels, channels);
  block->push_back(depthwise_);
  block->push_back(torch::nn::Identity());
  block->push_back(norm_);
  block->push_back(expand_);
  block->push_back(torch::nn::GELU());
  block->push_back(project_);
  block->push_back(torch::nn::Identity());
  register_module("block", block);
  layer_scale_ = register_parameter("layer_scale", torch::full({channels, 1, 1}, layer_scale));
}

torch::Tensor CNBlockImpl::forward(const torch::Tensor& input) {
  auto x = depthwise_(input).permute({0, 2, 3, 1});
  x = project_(torch::gelu(expand_(norm_(x)))).permute({0, 3, 1, 2});
  return input + drop_residual(layer_scale_ * x, drop_probability_, is_training());
}

ConvNeXtImpl::ConvNeXtImpl(ConvNeXtOptions options) : options_(std::move(options)) {
  int previous = -1;
  if (options_.out_indices.empty()) throw UsageError("convnext needs at least one out index");
  for (int index : options_.out_indices) {
    if (index < 0 || index > 3)
      throw UsageError("convnext out index " + std::to_string(index) + " is outside 0..3");
    if (index <= previous) throw UsageError("convnext out indices must be strictly increasing");
    previous = index;
  }
  if (options_.frozen_stages < -1 || options_.frozen_stages > 4)
    throw UsageError("convnext frozen_stages " + std::to_string(options_.frozen_stages) +
                     " is outside -1..4");
  if (!(options_.drop_path >= 0.0 && options_.drop_path < 1.0))
    throw UsageError("convnext drop_path " + std::to_string(options_.drop_path) + " is outside [0, 1)");

  const auto blocks = convnext_stage_blocks(options_.size);
  int64_t total_blocks = 0;
  for (int64_t count : blocks) total_blocks += count;
  const int64_t c0 = convnext_stage_channels(options_.size, 0);
  // Stem: 4x4 stride-4 patchify conv + LayerNorm2d (Liu et al. 2022, Sec. 2.2).
  features_.push_back(torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, c0, 4).stride(4)),
                                            LayerNorm2d(c0)));
  int64_t block_id = 0;
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t channels = convnext_stage_channels(options_.size, stage);
    if (stage > 0) {
      // Downsampling between stages: LayerNorm2d + 2x2 stride-2 conv.
      const int64_t previous_channels = convnext_stage_channels(options_.size, stage - 1);
      features_.push_back(torch::nn::Sequential(
          LayerNorm2d(previous_channels),
          torch::nn::Conv2d(torch::nn::Conv2dOptions(previous_channels, channels, 2).stride(2))));
    }
    torch::nn::Sequential layer;
    for (int64_t block = 0; block < blocks[static_cast<size_t>(stage)]; ++block, ++block_id) {
      // torchvision's linear schedule over all blocks: 0 for the first,
      // drop_path for the last.
      const double p =
          options_.drop_path * static_cast<double>(block_id) / static_cast<double>(total_blocks - 1);
      layer->push_back(CNBlock(channels, options_.layer_scale, p));
    }
    features_.push_back(layer);
  }
  torch::nn::ModuleList features;
  for (auto& module : features_) features->push_back(module);
  register_module("features", features);
  if (options_.norm_out) {
    for (int index : options_.out_indices)
      out_norms_.push_back(register_module("norm" + std::to_string(index),
                                           LayerNorm2d(convnext_stage_channels(options_.size, index))));
  }

  // torchvision's initialisation: convs and linears trunc_normal_(std 0.02)
  // (truncated at +-2, i.e. +-100 std: a plain normal here), biases 0;
  // LayerNorms 1 and 0.
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::normal_(conv->weight, 0.0, 0.02);
      torch::nn::init::zeros_(conv->bias);
    } else if (auto* linear = module->as<torch::nn::Linear>()) {
      torch::nn::init::normal_(linear->weight, 0.0, 0.02);
      torch::nn::init::zeros_(linear->bias);
    }
  }
  freeze_stages();
  train(is_training());
}

std::vector<torch::Tensor> ConvNeXtImpl::forward(const torch::Tensor& images) {
  if (images.dim() != 4 || images.size(1) != 3)
    throw UsageError("convnext expects images shaped [N, 3, H, W]");
  // Each stride-s conv needs s pixels: the last returned stage needs its stride.
  const int64_t stride = int64_t{4} << options_.out_indices.back();
  if (images.size(2) < stride || images.size(3) < stride)
    throw UsageError("convnext needs images of at least " + std::to_string(stride) + "x" +
                     std::to_string(stride) + " pixels for stage " +
                     std::to_string(options_.out_indices.back()) + ", got " + std::to_string(images.size(2)) +
                     "x" + std::to_string(images.size(3)));
  auto x = features_[0]->forward(images);
  std::vector<torch::Tensor> outputs;
  size_t next_out = 0;
  for (int stage = 0; stage <= options_.out_indices.back(); ++stage) {
    if (stage > 0) x = features_[static_cast<size_t>(2 * stage)]->forward(x);
    x = features_[static_cast<size_t>(2 * stage + 1)]->forward(x);
    if (options_.out_indices[next_out] == stage) {
      outputs.push_back(options_.norm_out ? out_norms_[next_out]->forward(x) : x);
      ++next_out;
    }
  }
  return outputs;
}

std::vector<int64_t> ConvNeXtImpl::out_channels() const {
  std::vector<int64_t> channels;
  for (int index : options_.out_indices) channels.push_back(convnext_stage_channels(options_.size, index));
  return channels;
}

std::vector<std::string> ConvNeXtImpl::stage_parameter_prefixes(int stage) const {
  std::vector<std::string> prefixes;
  if (stage > 0) prefixes.push_back("features." + std::to_string(2 * stage) + ".");
  prefixes.push_back("features." + std::to_string(2 * stage + 1) + ".");
  return prefixes;
}

int ConvNeXtImpl::last_frozen_feature() const {
  // frozen_stages -1: none; 0: features.0 (the stem); k >= 1: features.0 ..
  // features.(2k - 1), i.e. the stem, stages 1..k and the downsampling
  // layers between them.
  if (options_.frozen_stages < 0) return -1;
  return std::max(0, 2 * options_.frozen_stages - 1);
}

void ConvNeXtImpl::freeze_stages() {
  for (int i = 0; i <= last_frozen_feature(); ++i)
    for (auto& parameter : features_[static_cast<size_t>(i)]->parameters())
      parameter.set_requires_grad(false);
}

void ConvNeXtImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (!on) return;
  for (int i = 0; i <= last_frozen_feature(); ++i) features_[static_cast<size_t>(i)]->eval();
}

NamedTensors convnext_torchvision_names(const NamedTensors& entries) {
  // Original layout (facebookresearch/ConvNeXt models/convnext.py, which
  // SparK's "official style" export and Let Occ Flow's model/backbone/
  // convnext.py share): downsample_layers.0 is the stem, downsample_layers.i
  // (i >= 1) precedes stage i; a block's dwconv, norm, pwconv1, pwconv2 are
  // torchvision's block.0, .2, .3, .5 and gamma [C] its layer_scale [C, 1, 1].
  static const std::regex downsample(R"(^downsample_layers\.([0-3])\.(.*)$)");
  static const std::regex block(R"(^stages\.([0-3])\.([0-9]+)\.(dwconv|norm|pwconv1|pwconv2|gamma)(.*)$)");
  NamedTensors renamed;
  for (const auto& [name, tensor] : entries) {
    std::smatch match;
    if (std::regex_match(name, match, downsample)) {
      const int stage = std::stoi(match[1]);
      renamed.emplace_back("features." + std::to_string(stage == 0 ? 0 : 2 * stage) + "." + match[2].str(),
                           tensor);
    } else if (std::regex_match(name, match, block)) {
      const std::string prefix =
          "features." + std::to_string(2 * std::stoi(match[1]) + 1) + "." + match[2].str() + ".";
      const std::string part = match[3];
      if (part == "gamma") {
        renamed.emplace_back(prefix + "layer_scale" + match[4].str(), tensor.reshape({-1, 1, 1}));
      } else {
        const char* index = part == "dwconv" ? "0" : part == "norm" ? "2" : part == "pwconv1" ? "3" : "5";
        renamed.emplace_back(prefix + "block." + index + match[4].str(), tensor);
      }
    } else if (starts_with(name, "norm.") || starts_with(name, "head.")) {
      continue;  // the original classifier: final LayerNorm and Linear
    } else {
      renamed.emplace_back(name, tensor);
    }
  }
  return renamed;
}

StateDictLoadResult load_convnext_weights(ConvNeXtImpl& convnext, const std::string& path) {
  const auto file = read_state_dict(path);
  const std::string detector_prefix = "backbone.";
  bool detector = false;
  for (const auto& entry : file) detector = detector || starts_with(entry.first, detector_prefix);
  NamedTensors entries;
  for (const auto& [name, tensor] : file) {
    if (!detector)
      entries.emplace_back(name, tensor);
    else if (starts_with(name, detector_prefix))
      entries.emplace_back(name.substr(detector_prefix.size()), tensor);
  }
  entries = convnext_torchvision_names(entries);
  // Output norms (norm_out) that the file lacks, as torchvision's files do,
  // keep the model's own values.
  std::set<std::string> present;
  for (const auto& entry : entries) present.insert(entry.first);
  for (const auto& item : convnext.named_parameters())
    if (starts_with(item.key(), "norm") && present.count(item.key()) == 0)
      entries.emplace_back(item.key(), item.value().detach().clone());
  StateDictLoadOptions options;
  options.ignored_prefixes = {"classifier."};
  return load_state_dict(convnext, entries, options, "backbone weights " + quoted(path));
}

}  // namespace occ::nn
