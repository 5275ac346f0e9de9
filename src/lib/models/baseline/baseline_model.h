#pragma once
// The PanoOcc-style baseline (`occ train --model baseline`): ResNet + FPN on
// every camera image, a voxel-query encoder with spatial cross-attention into
// the cameras, and a 3D deconvolution decoder to per-voxel class logits
// (protoocc.md, "Baseline architecture (PanoOcc, facts)"). With
// history_frames > 0 the volumes of earlier keyframes join in: see
// encode_history and temporal_fusion.h.
#include <ATen/ATen.h>
#include <torch/nn/modules/conv.h>

#include <string>
#include <vector>

#include "models/baseline/baseline_config.h"
#include "models/class_counts_consumer.h"
#include "models/image_backbone.h"
#include "models/occupancy_model.h"
#include "models/temporal_fusion.h"
#include "models/voxel_decoder.h"
#include "models/voxel_encoder.h"
#include "nn/fpn.h"
#include "nn/resnet.h"

namespace occ::models {

// The backbone and neck a configuration asks for: FPN inputs are the
// backbone stages of backbone_out_indices, outputs embed_dims channels at
// num_levels levels with PanoOcc's extra convs (on the output, ReLU before).
BackboneOptions baseline_backbone_options(const BaselineConfig& config);
nn::FpnOptions baseline_fpn_options(const BaselineConfig& config);
VoxelEncoderOptions baseline_encoder_options(const BaselineConfig& config);
VoxelDecoderOptions baseline_decoder_options(const BaselineConfig& config, const GridSpec& grid);

// The 2D semantic loss (model.loss_image_semantics_weight): cross-entropy of
// per-cell class logits [B*N, K, h, w] against per-pixel camera classes
// [B, N, H, W], each cell labelled with the pixel nearest its centre.
at::Tensor image_semantic_loss(const at::Tensor& logits, const at::Tensor& classes);

class BaselineModel : public OccupancyModel, public ClassCountsConsumer {
 public:
  // Throws UsageError (naming the key) when the configuration does not fit
  // the grid, e.g. a query shape the decoder cannot upsample to it.
  BaselineModel(const BaselineConfig& config, const GridSpec& grid);

  ModelOutput forward(const Batch& batch) override;
  // The same, also returning what the encoder's cross-attention did.
  ModelOutput forward_traced(const Batch& batch, VoxelEncoderTrace* trace);
  // "ce", "lovasz", with the occupancy head "focal", and with the 2D
  // semantic loss "image_ce", each already weighted; "image_ce" alone with
  // model.image_pretraining.
  LossTerms losses(const ModelOutput& output, const Batch& batch) override;
  // The supervised terms of one decoded output, weighted: cross-entropy,
  // Lovasz and (with an occupancy head) focal; what losses() returns.
  LossTerms semantic_losses(const at::Tensor& logits, const at::Tensor& occupancy_logit, const Batch& batch);
  // "backbone" (backbone_lr_multiplier) and "rest"; frozen parameters left out.
  std::vector<ParameterGroup> parameter_groups() override;
  // Class id per voxel, [B, X, Y, Z] uint8 (the occupancy head, when there
  // is one, turns voxels below its threshold free).
  at::Tensor predict_semantics(const ModelOutput& output) const;
  // Semantics, and class probabilities (softmax of the logits) on request.
  Prediction predict(const ModelOutput& output, const Batch& batch,
                     const PredictionRequest& request) const override;
  void load_backbone_weights(const std::string& path) override;
  // True unless model.loss_ce_class_weighting is "none".
  bool wants_class_counts() const override;
  // With model.loss_ce_class_weighting "inverse_log_frequency": the CE's class
  // weights from the training frames' class counts (one per grid class).
  // Throws UsageError when the weighting is "none" or the count is not one
  // per class.
  void set_class_counts(const std::vector<int64_t>& counts) override;
  // [num_classes] float, undefined until set_class_counts.
  const at::Tensor& ce_class_weights() const { return ce_class_weights_; }

  // images [B, N, 3, H, W] -> FPN levels [B*N, embed_dims, H_l, W_l].
  std::vector<at::Tensor> image_features(const at::Tensor& images);

  // The history volumes of a batch, aligned to the current ego frame.
  struct History {
    at::Tensor volumes;  // [B, T, embed_dims, X, Y, Z]; zeros where not valid
    at::Tensor valid;    // [B, T] bool, on the volumes' device
  };
  // Encodes every valid history frame with the same backbone, neck and
  // encoder as the current frame (models/history_encoding.h: without
  // gradients, in eval mode, each frame on its own so its temporal
  // self-attention sees no history, as a scene's first frame), warped with
  // history_from_current. Without temporal_fusion only t = 0
  // (what the temporal self-attention reads) is encoded; the other frames
  // stay zero. Throws UsageError when the batch lacks history fields or their
  // shapes disagree with history_frames.
  History encode_history(const Batch& batch);
  // The history of a batch when the model reads one (history_frames > 0),
  // else an empty History.
  History batch_history(const Batch& batch);

  // The view transformation: image features (image_features(batch.images))
  // and the batch's history -> the encoded query volume [B, embed_dims, Xq,
  // Yq, Zq] (temporal self-attention and fusion included), with the
  // encoder's trace and query hook (ProtoOcc's prototype mapping).
  at::Tensor encode(const Batch& batch, const std::vector<at::Tensor>& levels, const History& history,
                    VoxelEncoderTrace* trace, const EncoderQueryHook& hook);

  const BaselineConfig& config() const { return config_; }
  const GridSpec& grid() const { return grid_; }

  nn::StageBackbone backbone{nullptr};  // ResNet or ConvNeXt (model.backbone)
  nn::Fpn neck{nullptr};
  VoxelEncoder encoder{nullptr};
  VoxelDecoder decoder{nullptr};
  TemporalFusion temporal_fusion{nullptr};  // null unless history_frames > 0 and temporal_fusion
  // 1x1 classifier of the finest FPN level for the 2D semantic loss; null
  // unless loss_image_semantics_weight > 0.
  torch::nn::Conv2d image_semantics{nullptr};

 private:
  ImageBackbone image_backbone_;  // backbone and neck above (models/image_backbone.h)
  BaselineConfig config_;
  GridSpec grid_;
  at::Tensor ce_class_weights_;  // model.loss_ce_class_weighting; undefined: unweighted CE
};

}  // namespace occ::models
