#pragma once
// The image backbone every camera model shares: a ResNet or a ConvNeXt
// (model.backbone; torchvision parameter names, so Python weights load) and
// an FPN neck, registered on the owning model as "backbone" and "neck" (the
// module paths model files and the backbone learning-rate group use), with
// the stages after the last output index frozen, and weights loading from
// Python.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "models/config_reader.h"
#include "models/occupancy_model.h"
#include "nn/convnext.h"
#include "nn/fpn.h"
#include "nn/resnet.h"
#include "nn/stage_backbone.h"

namespace occ::models {

// The backbone the shared keys ask for: `name` picks which options apply.
struct BackboneOptions {
  std::string name = "resnet";   // resnet, convnext_tiny, convnext_small, convnext_base
  nn::ResNetOptions resnet;      // when name is resnet
  nn::ConvNeXtOptions convnext;  // when name is convnext_*
  const std::vector<int>& out_indices() const;
  // Channels of stage `stage` (0..3) of this backbone.
  int64_t stage_channels(int stage) const;
};

struct ImageBackbone {
  nn::StageBackbone backbone{nullptr};
  nn::Fpn neck{nullptr};

  // Registers the backbone as `owner`'s "backbone" and an FPN as its "neck"
  // (in that order: with the same seed a model initialises as before). The
  // backbone builds all four stages (so torchvision weights load strictly)
  // but never runs those after the last out index: their parameters are
  // frozen so the optimiser skips them.
  static ImageBackbone attach(torch::nn::Module& owner, const BackboneOptions& backbone,
                              const nn::FpnOptions& fpn);

  // images [B, N, 3, H, W] -> FPN levels [B*N, C, H_l, W_l]; `who` names the
  // model in the error for another shape.
  std::vector<at::Tensor> features(const at::Tensor& images, const std::string& who);
  // Weights saved from Python (torch.save; torchvision or mmdet names; a
  // ConvNeXt also in the original layout, nn::load_convnext_weights).
  void load_weights(const std::string& path);
};

// The shared backbone keys of a model configuration (BaselineConfig,
// LetOccFlowConfig: fields backbone, backbone_depth, ...), as read.
template <typename Config>
config::BackboneKeys backbone_keys_of(const Config& config) {
  config::BackboneKeys keys;
  keys.name = config.backbone;
  keys.depth = config.backbone_depth;
  keys.out_indices = config.backbone_out_indices;
  keys.frozen_stages = config.backbone_frozen_stages;
  keys.norm_eval = config.backbone_norm_eval;
  keys.drop_path = config.backbone_drop_path;
  keys.norm_out = config.backbone_norm_out;
  return keys;
}

// The backbone of the shared backbone keys (config::read_backbone_keys);
// `style` is the baseline's backbone_style (ResNet only).
BackboneOptions backbone_options(const config::BackboneKeys& keys,
                                 nn::ResNetStyle style = nn::ResNetStyle::PyTorch);
// PanoOcc's FPN (Let Occ Flow's is the same) over the stages of `backbone`'s
// out indices: each stage -> `out_channels`, `num_outs` levels (extra levels
// by strided convs on the output, ReLU before).
nn::FpnOptions backbone_fpn_options(const BackboneOptions& backbone, int64_t out_channels, int64_t num_outs);

// Splits `owner`'s trainable parameters into the image backbone's group
// ("backbone", parameters under backbone., at `backbone_lr_multiplier`) and
// the rest ("rest", 1.0); frozen parameters are left out.
std::vector<ParameterGroup> backbone_and_rest(torch::nn::Module& owner, double backbone_lr_multiplier);

}  // namespace occ::models
