#include "models/image_backbone.h"

#include "core/error.h"
#include "nn/shape_text.h"

namespace occ::models {

ImageBackbone ImageBackbone::attach(torch::nn::Module& owner, const nn::ResNetOptions& resnet,
                                    const nn::FpnOptions& fpn) {
  ImageBackbone parts;
  parts.resnet = owner.register_module("backbone", nn::ResNet(resnet));
  for (int stage = resnet.out_indices.back() + 1; stage < 4; ++stage) {
    const std::string prefix = "layer" + std::to_string(stage + 1) + ".";
    for (auto& item : parts.resnet->named_parameters())
      if (item.key().rfind(prefix, 0) == 0) item.value().set_requires_grad(false);
  }
  parts.neck = owner.register_module("neck", nn::Fpn(fpn));
  return parts;
}

std::vector<at::Tensor> ImageBackbone::features(const at::Tensor& images, const std::string& who) {
  if (images.dim() != 5 || images.size(2) != 3)
    throw UsageError(who + ": images must be [B, N, 3, H, W], got " + nn::shape_text(images));
  return neck->forward(resnet->forward(images.flatten(0, 1)));
}

void ImageBackbone::load_weights(const std::string& path) {
  nn::load_resnet_weights(*resnet, path);
}

nn::ResNetOptions backbone_resnet_options(int depth, const std::vector<int>& out_indices, int frozen_stages,
                                          bool norm_eval, nn::ResNetStyle style) {
  nn::ResNetOptions options;
  options.depth = depth;
  options.out_indices = out_indices;
  options.frozen_stages = frozen_stages;
  options.norm_eval = norm_eval;
  options.style = style;
  return options;
}

nn::FpnOptions backbone_fpn_options(int depth, const std::vector<int>& out_indices, int64_t out_channels,
                                    int64_t num_outs) {
  nn::FpnOptions options = nn::FpnOptions::panoocc();
  options.in_channels.clear();
  for (int stage : out_indices) options.in_channels.push_back(nn::resnet_stage_channels(depth, stage));
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
