#pragma once
// The image backbone every camera model shares: a ResNet (torchvision
// parameter names, so Python weights load) and an FPN neck, registered on the
// owning model as "backbone" and "neck" (the module paths model files and
// the backbone learning-rate group use), with the stages after the last
// output index frozen, and weights loading from Python.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "models/occupancy_model.h"
#include "nn/fpn.h"
#include "nn/resnet.h"

namespace occ::models {

struct ImageBackbone {
  nn::ResNet resnet{nullptr};
  nn::Fpn neck{nullptr};

  // Registers a ResNet as `owner`'s "backbone" and an FPN as its "neck" (in
  // that order: with the same seed a model initialises as before). ResNet
  // builds all four stages (so torchvision weights load strictly) but never
  // runs those after the last out index: their parameters are frozen so the
  // optimiser skips them.
  static ImageBackbone attach(torch::nn::Module& owner, const nn::ResNetOptions& resnet,
                              const nn::FpnOptions& fpn);

  // images [B, N, 3, H, W] -> FPN levels [B*N, C, H_l, W_l]; `who` names the
  // model in the error for another shape.
  std::vector<at::Tensor> features(const at::Tensor& images, const std::string& who);
  // Weights saved from Python (torch.save; torchvision or mmdet names).
  void load_weights(const std::string& path);
};

// The ResNet of the shared backbone keys (config::read_backbone_keys).
nn::ResNetOptions backbone_resnet_options(int depth, const std::vector<int>& out_indices, int frozen_stages,
                                          bool norm_eval, nn::ResNetStyle style = nn::ResNetStyle::PyTorch);
// PanoOcc's FPN over the ResNet stages `out_indices` of a ResNet-`depth`:
// each stage -> `out_channels`, `num_outs` levels (extra levels by strided
// convs on the output).
nn::FpnOptions backbone_fpn_options(int depth, const std::vector<int>& out_indices, int64_t out_channels,
                                    int64_t num_outs);

// Splits `owner`'s trainable parameters into the image backbone's group
// ("backbone", parameters under backbone., at `backbone_lr_multiplier`) and
// the rest ("rest", 1.0); frozen parameters are left out.
std::vector<ParameterGroup> backbone_and_rest(torch::nn::Module& owner, double backbone_lr_multiplier);

}  // namespace occ::models
