#pragma once
// The PanoOcc-style baseline (`occ train --model baseline`): ResNet + FPN on
// every camera image, a voxel-query encoder with spatial cross-attention into
// the cameras, and a 3D deconvolution decoder to per-voxel class logits
// (protoocc.md, "Baseline architecture (PanoOcc, facts)").
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "models/baseline/baseline_config.h"
#include "models/occupancy_model.h"
#include "models/voxel_decoder.h"
#include "models/voxel_encoder.h"
#include "nn/fpn.h"
#include "nn/resnet.h"

namespace occ::models {

// The backbone and neck a configuration asks for: FPN inputs are the ResNet
// stages of backbone_out_indices, outputs embed_dims channels at num_levels
// levels with PanoOcc's extra convs (on the output, ReLU before).
nn::ResNetOptions baseline_resnet_options(const BaselineConfig& config);
nn::FpnOptions baseline_fpn_options(const BaselineConfig& config);
VoxelEncoderOptions baseline_encoder_options(const BaselineConfig& config);
VoxelDecoderOptions baseline_decoder_options(const BaselineConfig& config, const GridSpec& grid);

class BaselineModel : public OccupancyModel {
 public:
  // Throws UsageError (naming the key) when the configuration does not fit
  // the grid, e.g. a query shape the decoder cannot upsample to it.
  BaselineModel(const BaselineConfig& config, const GridSpec& grid);

  ModelOutput forward(const Batch& batch) override;
  // The same, also returning what the encoder's cross-attention did.
  ModelOutput forward_traced(const Batch& batch, VoxelEncoderTrace* trace);
  // The view transformation: image features (image_features(batch.images))
  // -> the encoded query volume [B, embed_dims, Xq, Yq, Zq], with the
  // encoder's trace and query hook (ProtoOcc's prototype mapping).
  at::Tensor encode(const Batch& batch, const std::vector<at::Tensor>& levels, VoxelEncoderTrace* trace,
                    const EncoderQueryHook& hook);
  // "ce", "lovasz" and, with the occupancy head, "focal", each already weighted.
  LossTerms losses(const ModelOutput& output, const Batch& batch) override;
  // The supervised terms of one decoded output, weighted: cross-entropy,
  // Lovasz and (with an occupancy head) focal; what losses() returns.
  LossTerms semantic_losses(const at::Tensor& logits, const at::Tensor& occupancy_logit, const Batch& batch);
  // "backbone" (backbone_lr_multiplier) and "rest"; frozen parameters left out.
  std::vector<ParameterGroup> parameter_groups() override;
  at::Tensor predict_semantics(const ModelOutput& output) const override;
  void load_backbone_weights(const std::string& path) override;

  // images [B, N, 3, H, W] -> FPN levels [B*N, embed_dims, H_l, W_l].
  std::vector<at::Tensor> image_features(const at::Tensor& images);

  const BaselineConfig& config() const { return config_; }
  const GridSpec& grid() const { return grid_; }

  nn::ResNet backbone{nullptr};
  nn::Fpn neck{nullptr};
  VoxelEncoder encoder{nullptr};
  VoxelDecoder decoder{nullptr};

 private:
  BaselineConfig config_;
  GridSpec grid_;
};

}  // namespace occ::models
