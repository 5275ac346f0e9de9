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
