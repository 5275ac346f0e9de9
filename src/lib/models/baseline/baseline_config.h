#pragma once
// The "model" configuration section of the PanoOcc-style baseline (`occ train
// --model baseline`): every hyper-parameter as a flat JSON object, its typed
// form, and the size presets. Sizes and layers follow PanoOcc (Robertwyq/
// PanoOcc, configs Occupancy/Occ3d-nuScenes/PanoOcc_{small,base}.py) as
// summarised in ../shared/reference/protoocc.md.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/batch.h"

namespace occ::models {

struct BaselineConfig {
  // Image backbone (models/image_backbone.h: nn::ResNetOptions or
  // nn::ConvNeXtOptions) and FPN neck.
  std::string backbone = "resnet";                    // resnet, convnext_tiny, convnext_small, convnext_base
  int backbone_depth = 50;                            // ResNet: 18, 34, 50 or 101
  std::vector<int> backbone_out_indices{0, 1, 2, 3};  // ResNet stages fed to the FPN
  int backbone_frozen_stages = 1;                     // mmdet frozen_stages (-1: none)
  bool backbone_norm_eval = true;                     // BN layers of the backbone stay in eval mode
  std::string backbone_style = "pytorch";             // "pytorch" or "caffe" (stride on the first 1x1)
  double backbone_drop_path = 0.0;                    // ConvNeXt stochastic depth of the last block
  bool backbone_norm_out = false;                     // ConvNeXt: LayerNorm2d on each returned stage
  // Transformer encoder.
  int64_t embed_dims = 256;
  int64_t num_heads = 8;
  int64_t num_points = 8;
  int64_t num_levels = 5;  // FPN outputs = levels the cross-attention samples
  int64_t ffn_dims = 512;
  double dropout = 0.1;
  int64_t encoder_layers = 3;
  bool self_attention = true;  // deformable self-attention over the query volume
  std::array<int64_t, 3> query_shape{50, 50, 16};
  // Voxel decoder: one channel count per x2 upsampling step.
  std::vector<int64_t> decoder_channels{256, 32};
  // How each x2 step upsamples: "deconv" (PanoOcc's ConvTranspose3d, kernel
  // 4, stride 2) or "trilinear" (trilinear x2 + 3x3x3 convolution, CHOSEN
  // alternative without the transposed convolution's alternating taps;
  // docs/demo_learning.md measures both).
  std::string decoder_upsampling = "deconv";
  int64_t classifier_hidden = 128;
  bool occupancy_head = false;
  double occupancy_threshold = 0.05;
  // Loss weights (PanoOcc: CE 10, Lovasz 1, focal occupancy 2).
  double loss_ce_weight = 10.0;
  double loss_lovasz_weight = 1.0;
  double loss_focal_weight = 2.0;
  // Class weights of the CE: "none" (PanoOcc: no class weights) or
  // "inverse_log_frequency" (w_c = 1 / ln(n_c + 0.001) over the
  // camera-visible voxels of the training frames, the BEVDet/FlashOcc
  // occupancy heads' class_balance; metrics/class_weights.h). The trainer
  // counts the classes before the first step (models/class_counts_consumer.h).
  std::string loss_ce_class_weighting = "none";
  // Weight of a 2D semantic cross-entropy on the stride-8 FPN level: a 1x1
  // convolution classifies every feature cell into the grid's classes against
  // the frame's per-pixel camera classes (/cameras/semantics, nearest cell
  // centre), so the backbone learns what it sees from dense labels. 0 = off
  // (CHOSEN default, PanoOcc has no such term; the demo recipe sets it where
  // the synthetic world renders exact camera semantics, docs/demo_learning.md).
  double loss_image_semantics_weight = 0.0;
  // A 2D pretraining run (CHOSEN, default false): training steps run the
  // backbone, neck and the 2D semantic head only, with the 2D semantic loss
  // alone; the encoder and decoder keep their initial weights. Its model file
  // starts a full run through `occ train --init-from` (docs/demo_learning.md).
  // Needs loss_image_semantics_weight > 0. Evaluation still runs the whole
  // (untrained) 3D path, so the file's own predictions mean nothing.
  bool image_pretraining = false;
  // CE is always restricted to mask_camera (PanoOcc's use_mask). Lovasz too
  // when true (CHOSEN); PanoOcc's head passes no mask to its Lovasz loss.
  bool loss_lovasz_mask_camera = true;
  // Learning-rate multiplier of the image backbone (PanoOcc: 0.1).
  double backbone_lr_multiplier = 0.1;
  // Temporal inputs (protoocc.md, "Temporal (optional)"): history_frames
  // earlier keyframes, history_stride keyframes apart, are encoded without
  // gradients, warped into the current ego frame and fused. 0 = off. PanoOcc
  // uses 3 frames 4 keyframes apart; every preset leaves it off, as each
  // history frame costs another backbone and encoder pass on two CPU cores.
  int history_frames = 0;
  int history_stride = 4;
  // With history: PanoOcc's 3D bottleneck over concat(current, history)
  // after the encoder (temporal_fusion.h) ...
  bool temporal_fusion = true;
  // ... and/or BEVFormer's temporal self-attention in every encoder layer,
  // reading the nearest history volume (needs self_attention).
  bool temporal_self_attention = false;

  nlohmann::json to_json() const;
  // Reads a complete configuration; a missing, unknown or mistyped key or a
  // value out of range throws UsageError naming it ("model.<key>").
  static BaselineConfig from_json(const nlohmann::json& config);
};

// The size presets, default first: small, base, tiny (PanoOcc's) and demo (a
// ResNet-18 model small enough to train on two CPU cores).
const std::vector<std::string>& baseline_sizes();

// The complete configuration of a preset for `grid`. Query shapes divide the
// grid as the presets do on Occ3D's 200x200x16 (base x,y/2; small x,y/4; tiny
// x,y,z/4; demo x,y/4 and z/2); SemanticKITTI's 256x256x32 grid gets the
// paper's 128x128x16 (base) and 64x64x8 (small, tiny). Throws UsageError for
// an unknown size.
nlohmann::json baseline_default_config(const std::string& size, const GridSpec& grid);

}  // namespace occ::models
