#pragma once
// The "model" configuration section of Let Occ Flow (`occ train --model
// letoccflow`): every hyper-parameter as a flat JSON object (the renderer's
// "render.*" and the losses' "loss.*" keys included), its typed form and the
// size presets. Facts and defaults: ../shared/reference/letoccflow.md; our
// choices where the paper and code are silent are marked CHOSEN and listed in
// docs/letoccflow.md.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "losses/self_supervised_config.h"
#include "models/batch.h"
#include "render/render_config.h"

namespace occ::models {

struct LetOccFlowConfig {
  // 1: static geometry (SDF, photometric + regularisers; no --flow).
  // 2: + the flow head, trained by the optical-flow loss, dynamic
  //    disentanglement and L_dreg (reads --flow); start it from a stage-1
  //    file with --init-from. The NeuS variance is frozen in stage 2.
  int stage = 1;
  // Image backbone (models/image_backbone.h: ResNet or ConvNeXt) + FPN.
  // The struct's defaults are a ResNet-50; the base preset is the paper's
  // ConvNeXt-B (letoccflow_default_config).
  std::string backbone = "resnet";  // resnet, convnext_tiny, convnext_small, convnext_base
  int backbone_depth = 50;          // ResNet only
  std::vector<int> backbone_out_indices{0, 1, 2, 3};
  int backbone_frozen_stages = 1;
  bool backbone_norm_eval = true;
  double backbone_drop_path = 0.0;  // ConvNeXt stochastic depth (Let Occ Flow: 0)
  bool backbone_norm_out = false;   // ConvNeXt output LayerNorms (Let Occ Flow: true)
  // TPV encoder (TPVFormer): planes HW (x, y), ZH (z, x), WZ (y, z) of
  // embed_dims channels.
  int64_t embed_dims = 192;
  int64_t num_heads = 6;
  int64_t num_levels = 4;  // FPN outputs the image cross-attention samples
  int64_t ffn_dims = 384;  // 2C
  double dropout = 0.1;
  int64_t encoder_layers = 4;
  std::array<int64_t, 3> tpv_shape{100, 100, 10};  // cells along x (H), y (W), z
  // Points per pillar of each plane: HW cells along z, ZH cells along y
  // (W), WZ cells along x (H); one sampling point per head, level and point.
  std::array<int64_t, 3> pillar_points{8, 48, 48};
  // Cross-view hybrid attention (TPVFormer) first in every layer, with this
  // many pillar points per query and plane (LOF: 12).
  bool cross_view_attention = true;
  int64_t cross_view_points = 12;
  // 3D refinement: residual blocks of two 3x3x3 convolutions at TPV
  // resolution (CHOSEN: stands in for the 3D ResNet + FPN3D + occupancy
  // decoder of the paper).
  int64_t refine_layers = 2;
  int64_t head_dims = 96;  // E: channels entering the SDF and flow heads
  // Vertex grid the fields are rendered on: vertex_scale * tpv_shape + 1
  // vertices per axis over the output grid's box (nuScenes 100x100x10 ->
  // 201x201x21).
  int64_t vertex_scale = 2;
  // CHOSEN: the SDF head predicts a residual over the signed distance to a
  // horizontal ground plane at this height (ego frame; nuScenes, Occ3D and
  // synth ego frames stand on the ground: 0), so training starts from a
  // surface the eikonal term accepts; without it (sdf_ground_prior false)
  // nothing in the objective asks for opacity and the SDF drifts positive
  // everywhere (measured: no surface after 60 demo steps).
  bool sdf_ground_prior = true;
  double ground_z_m = 0.0;
  // Prediction.
  // Voxels of each x and y border predicted free (LOF's evaluation zeroes a
  // 6-voxel border; the demo preset keeps every voxel: 0).
  int64_t free_border_voxels = 6;
  double occupied_sdf = 0.1;         // occupied where sdf <= this (LOF eval)
  double keyframe_interval_s = 0.5;  // flow head displacement per keyframe step -> m/s (nuScenes 2 Hz)
  int64_t depth_render_stride = 4;   // predicted depth: rays every this many pixels, bilinearly upsampled
  // CHOSEN: predicted depth = rendered distance / opacity (the expected
  // depth of the weights the photometric loss renormalises), instead of the
  // reference's sum w t, which shrinks towards 0 on rays that leave the box.
  bool depth_over_opacity = true;
  // Learning-rate multipliers (LOF stage 2: backbone 0.1, encoder 0.25,
  // density 0.4, flow 1.0; stage 1 trains everything at 1 but the backbone).
  double backbone_lr_multiplier = 0.1;
  double encoder_lr_multiplier = 1.0;   // neck, TPV encoder, refinement
  double temporal_lr_multiplier = 1.0;  // temporal fusion (model.temporal)
  double sdf_lr_multiplier = 1.0;       // SDF head and NeuS variance
  double flow_lr_multiplier = 1.0;      // flow head

  // ---- Training: stage schedule, ablations, LiDAR (issue 17) ----
  // 0: the run stays in `stage`. S > 0 (with stage 1): steps 0..S-1 are
  // stage 1, the rest stage 2 (flow head, flow losses, NeuS variance held)
  // in the same run, so the cosine anneal and the optimiser state carry over;
  // needs --flow from the start.
  int64_t stage2_from_step = 0;
  // The learning-rate multipliers of stage 2 (LOF: backbone 0.1, neck /
  // lifter / encoder / decoder 0.25, temporal 0.4, density 0.4, flow head
  // 1.0; reference/letoccflow.md, the released stage-2 config), used by a
  // stage-2 run and after stage2_from_step; the *_lr_multiplier keys above
  // are stage 1's.
  double stage2_backbone_lr_multiplier = 0.1;
  double stage2_encoder_lr_multiplier = 0.25;
  double stage2_temporal_lr_multiplier = 0.4;
  double stage2_sdf_lr_multiplier = 0.4;
  double stage2_flow_lr_multiplier = 1.0;
  // Stage 2 holds the NeuS variance of stage 1 (reference: "fixed in stage
  // 2"). false: it keeps learning (the joint, single-stage ablation trains
  // stage 2 from scratch: --joint).
  bool stage2_freeze_variance = true;
  // Dynamic disentanglement (Eq. 10-11; Table 5 ablation). false (CHOSEN
  // reading of "w/o"): no ray is told apart as dynamic: the optical-flow
  // loss counts every labelled ray alike (no dynamic up-weighting, render
  // weights never detached) and L_dreg, defined on the static rays, is off.
  bool dynamic_disentanglement = true;
  // Which optical-flow labels supervise the flow field (Table 6 ablation;
  // CHOSEN reading): "forward" (to the next keyframe, +f), "backward" (to
  // the previous one, -f: constant velocity), "both" (their mean), "none"
  // (no optical-flow loss: the flow is learnt through the photometric loss
  // of the moved samples alone).
  std::string flow_supervision = "forward";
  // LiDAR term L_range (SILog on render.lidar_rays rendered LiDAR rays a
  // frame, LOF nuScenes: 4096; loss.lidar_weight); off by default (LOF's
  // optional term). --lidar switches it on; the frames file must have
  // /lidar/points and /lidar/origin.
  bool lidar = false;

  // True when some step of the run is in stage 2 (reads --flow).
  bool reaches_stage2() const { return stage == 2 || stage2_from_step > 0; }
  // The stage of the update after `step` steps.
  int stage_at(int64_t step) const {
    return stage == 2 || (stage2_from_step > 0 && step >= stage2_from_step) ? 2 : 1;
  }

  // --- Network completion (issue 17): temporal fusion, 3D refinement, camera
  // embedding (docs/letoccflow.md, "The network").
  // Temporal fusion of the current TPV volume with `temporal_frames` earlier
  // keyframes (encoded without gradients): none | concat_conv |
  // bev_forward | backward_forward (the paper's; Table 4's alternatives).
  std::string temporal = "backward_forward";
  int64_t temporal_frames = 2;  // LOF: a queue of 3 (t, t-1, t-2)
  int64_t temporal_heads = 6;   // deformable attention of the BEV slices (LOF: 6 heads, 8 points)
  int64_t temporal_points = 8;
  // 3D refinement: resnet_fpn3d (the paper's 3D ResNet + FPN3D + occupancy
  // decoder) | conv_blocks (refine_layers residual 3x3x3 blocks + a 1x1x1
  // conv C -> E at TPV resolution; the first version's stand-in).
  std::string refine = "resnet_fpn3d";
  std::vector<int64_t> refine_blocks{1, 2, 4};  // resnet_fpn3d: blocks per stage (channels C, 2C, 4C)
  // A learnable embedding per camera added to the image features
  // (TPVFormer): 0 = none (CHOSEN default: one model serves rigs of any
  // camera count), else the rig's camera count (other counts are an error).
  int64_t camera_embeddings = 0;

  // --- The rig (issue 17: the KITTI settings; configs/letoccflow_kitti.toml).
  // Previous source frame for the photometric loss: > 0 draws it per sample
  // among the earlier keyframes within this many metres of path (LOF / SelfOcc
  // KITTI: 6 m at 10 Hz); 0 (nuScenes): the previous keyframe. The next
  // source is always the next keyframe (KITTI: t + 1).
  double source_max_distance_m = 0.0;
  // Prediction: voxels of z index >= this are free (LOF's KITTI evaluation:
  // 28 of 32, i.e. above 3.6 m); 0: no cut.
  int64_t free_above_z_index = 0;

  render::RenderConfig render;
  losses::LossConfig loss;

  nlohmann::json to_json() const;
  // Reads a complete configuration; a missing, unknown or mistyped key or a
  // value out of range throws UsageError naming it ("model.<key>").
  static LetOccFlowConfig from_json(const nlohmann::json& config);
};

// base (the paper's nuScenes numbers), small, demo (two CPU cores).
const std::vector<std::string>& letoccflow_sizes();
nlohmann::json letoccflow_default_config(const std::string& size, const GridSpec& grid);
// The values of model.flow_supervision: forward, backward, both, none.
const std::vector<std::string>& letoccflow_flow_supervision_modes();
// --set assignments that shrink the demo preset for the conformance tests.
std::vector<std::string> letoccflow_tiny_settings();

}  // namespace occ::models
