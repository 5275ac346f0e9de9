#pragma once
// Let Occ Flow (Liu et al., CoRL 2024; ../shared/reference/letoccflow.md):
// ResNet + FPN -> TPV encoder (cross-view hybrid and image cross-attention)
// -> TPV to volume -> temporal fusion with earlier keyframes (model.temporal)
// -> 3D ResNet + FPN3D + occupancy decoder (model.refine) ->
// per-vertex SDF and BEV flow heads on a vertex grid over the output grid's
// box, trained by NeuS volume rendering against the previous and next
// keyframes (stage 1: geometry; stage 2: + flow from optical-flow labels). What is left of the paper is
// listed in docs/letoccflow.md.
//
// forward() writes extras "sdf" [B, 1, Vx, Vy, Vz] and, in stage 2, "flow"
// [B, 2, Vx, Vy, Vz] (metres of BEV displacement from this keyframe to the
// next) on the vertex grid of box().
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <map>
#include <string>
#include <vector>

#include "models/image_backbone.h"
#include "models/letoccflow/letoccflow_config.h"
#include "models/letoccflow/temporal_volume_fusion.h"
#include "models/letoccflow/tpv_encoder.h"
#include "models/letoccflow/volume_decoder.h"
#include "models/occupancy_model.h"
#include "render/neus_variance.h"
#include "render/volume_box.h"

namespace occ::models {

class LetOccFlowModel : public OccupancyModel {
 public:
  LetOccFlowModel(const LetOccFlowConfig& config, const GridSpec& grid);

  ModelOutput forward(const Batch& batch) override;
  LossTerms losses(const ModelOutput& output, const Batch& batch) override;
  std::vector<ParameterGroup> parameter_groups() override;
  Prediction predict(const ModelOutput& output, const Batch& batch,
                     const PredictionRequest& request) const override;
  // Remembers the step (cosine anneal of the NeuS alpha, stage schedule);
  // from model.stage2_from_step on, holds the NeuS variance.
  void on_step(int64_t step) override;
  // The stage's multipliers when the run switches stages (else none).
  std::map<std::string, double> lr_multipliers_at(int64_t step) const override;
  void load_backbone_weights(const std::string& path) override;

  const render::VolumeBox& box() const { return box_; }
  const LetOccFlowConfig& config() const { return config_; }

  // The TPV volume [B, C, X, Y, Z] of one frame (images [B, N, 3, H, W]).
  at::Tensor encode_frame(const at::Tensor& images, const at::Tensor& intrinsics,
                          const at::Tensor& ego_from_camera);
  // The batch's history volumes [B, T, C, X, Y, Z] for the temporal fusion:
  // encoded without gradients (history_encoding.h), warped into the current
  // ego frame; a missing earlier keyframe repeats the nearest later slot
  // (the current volume, detached, at a scene start).
  at::Tensor history_volumes(const Batch& batch, const at::Tensor& current);

  nn::StageBackbone backbone{nullptr};  // ResNet or ConvNeXt (model.backbone)
  nn::Fpn neck{nullptr};
  TpvEncoder encoder{nullptr};
  TemporalVolumeFusion temporal{nullptr};  // model.temporal other than none
  // model.refine = conv_blocks:
  torch::nn::ModuleList refine{nullptr};  // pairs of Conv3d per residual block
  torch::nn::Conv3d decoder{nullptr};     // C -> E
  // model.refine = resnet_fpn3d:
  Resnet3d resnet3d{nullptr};
  Fpn3d fpn3d{nullptr};
  OccDecoder occ_decoder{nullptr};
  torch::nn::Sequential sdf_head{nullptr}, flow_head{nullptr};
  render::NeuSVariance variance{nullptr};

 private:
  LetOccFlowConfig config_;
  GridSpec grid_;
  // The refined features [B, E, ...] of the (fused) TPV volume.
  at::Tensor refine_volume(const at::Tensor& volume);

  render::VolumeBox box_;
  ImageBackbone image_backbone_;
  // L_range of the LiDAR rays of the batch (model.lidar).
  at::Tensor lidar_range_loss(const at::Tensor& sdf, const Batch& batch, at::Generator generator,
                              const at::Tensor& inv_s, double anneal) const;

  int64_t step_ = 0;
  at::Tensor held_variance_;  // the NeuS variance at the stage switch
};

// The current-frame ego from each camera at its capture pose:
// inverse(capture_from_current) * ego_from_camera (ego_from_camera itself
// when the batch has no capture poses).
at::Tensor current_ego_from_camera(const Batch& batch);

}  // namespace occ::models
