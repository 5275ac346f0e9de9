#include "models/image_backbone.h"

#include <memory>

#include "core/error.h"
#include "nn/shape_text.h"

namespace occ::models {

const std::vector<int>& BackboneOptions::out_indices() const {
  return name == "resnet" ? resnet.out_indices : convnext.out_indices;
}

int64_t BackboneOptions::stage_channels(int stage) const {
  if (name == "resnet") return nn::resnet_stage_channels(resnet.depth, stage);
  return nn::convnext_stage_channels(convnext.size, stage);
}

ImageBackbone ImageBackbone::attach(torch::nn::Module& owner, const BackboneOptions& backbone,
                                    const nn::FpnOptions& fpn) {
  std::shared_ptr<nn::StageBackboneImpl> module;
  if (backbone.name == "resnet")
    module = std::make_shared<nn::ResNetImpl>(backbone.resnet);
  else
    module = std::make_shared<nn::ConvNeXtImpl>(backbone.convnext);
  ImageBackbone parts;
  parts.backbone = nn::StageBackbone(owner.register_module("backbone", module));
  for (int stage = backbone.out_indices().back() + 1; stage < 4; ++stage) {
    for (const std::string& prefix : parts.backbone->stage_parameter_prefixes(stage))
      for (auto& item : parts.backbone->named_parameters())
        if (item.key().rfind(prefix, 0) == 0) item.value().set_requires_grad(false);
  }
  parts.neck = owner.register_module("neck", nn::Fpn(fpn));
  return parts;
}

std::vector<at::Tensor> ImageBackbone::features(const at::Tensor& images, const std::string& who) {
  if (images.dim() != 5 || images.size(2) != 3)
    throw UsageError(who + ": images must be [B, N, 3, H, W], got " + nn::shape_text(images));
  return neck->forward(backbone->forward(images.flatten(0, 1)));
}

void ImageBackbone::load_weights(const std::string& path) {
  if (auto* resnet = dynamic_cast<nn::ResNetImpl*>(backbone.get()))
    nn::load_resnet_weights(*resnet, path);
  else
    nn::load_convnext_weights(dynamic_cast<nn::ConvNeXtImpl&>(*backbone), path);
}

BackboneOptions backbone_options(const config::BackboneKeys& keys, nn::ResNetStyle style) {
  BackboneOptions options;
  options.name = keys.name;
  if (keys.name == "resnet") {
    options.resnet.depth = keys.depth;
    options.resnet.out_indices = keys.out_indices;
    options.resnet.frozen_stages = keys.frozen_stages;
    options.resnet.norm_eval = keys.norm_eval;
    options.resnet.style = style;
    return options;
  }
  const std::string prefix = "convnext_";
  if (keys.name.rfind(prefix, 0) != 0) throw UsageError("unknown image backbone " + quoted(keys.name));
  if (style != nn::ResNetStyle::PyTorch)
    throw UsageError("a caffe-style backbone is a ResNet choice; " + keys.name + " has no such variant");
  options.convnext.size = nn::convnext_size(keys.name.substr(prefix.size()));
  options.convnext.out_indices = keys.out_indices;
  options.convnext.frozen_stages = keys.frozen_stages;
  options.convnext.drop_path = keys.drop_path;
  options.convnext.norm_out = keys.norm_out;
  return options;
}

nn::FpnOptions backbone_fpn_options(const BackboneOptions& backbone, int64_t out_channels, int64_t num_outs) {
  nn::FpnOptions options = nn::FpnOptions::panoocc();
  options.in_channels.clear();
  for (int stage : backbone.out_indices()) options.in_channels.push_back(backbone.stage_channels(stage));
  options.out_channels = out_channels;
  options.num_outs = static_cast<int>(num_outs);
  return options;
}

std::vector<ParameterGroup> backbone_and_rest(torch::nn::Module& owner, double backbone_lr_multiplier) {
  ParameterGroup image_backbone{"backbone", {}, backbone_lr_multiplier};
  ParameterGroup rest{"rest", {}, 1.0};
  for (const auto& item : owner.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    (item.key().rfind("backbone.", 0) == 0 ? image_backbone : rest).parameters.push_back(item.value());
  }
  return {image_backbone, rest};
}

}  // namespace occ::models
