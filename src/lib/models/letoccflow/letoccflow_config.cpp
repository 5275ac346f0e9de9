#include "models/letoccflow/letoccflow_config.h"

#include <algorithm>

#include "core/error.h"
#include "models/config_reader.h"
#include "models/letoccflow/temporal_mode.h"

namespace occ::models {
namespace {

using config::BackboneKeys;
using config::key_name;
using config::read_backbone_keys;
using config::read_bool;
using config::read_integer;
using config::read_integers;
using config::read_num_levels;
using config::read_number;
using config::read_string;
using config::require;
using config::require_divisible;
using nlohmann::json;

// The model's own keys (without render.* and loss.*).
json own_keys(const LetOccFlowConfig& c) {
  return json{{"stage", c.stage},
              {"backbone", c.backbone},
              {"backbone_depth", c.backbone_depth},
              {"backbone_out_indices", c.backbone_out_indices},
              {"backbone_frozen_stages", c.backbone_frozen_stages},
              {"backbone_norm_eval", c.backbone_norm_eval},
              {"backbone_drop_path", c.backbone_drop_path},
              {"backbone_norm_out", c.backbone_norm_out},
              {"embed_dims", c.embed_dims},
              {"num_heads", c.num_heads},
              {"num_levels", c.num_levels},
              {"ffn_dims", c.ffn_dims},
              {"dropout", c.dropout},
              {"encoder_layers", c.encoder_layers},
              {"tpv_shape", c.tpv_shape},
              {"pillar_points", c.pillar_points},
              {"cross_view_attention", c.cross_view_attention},
              {"cross_view_points", c.cross_view_points},
              {"refine_layers", c.refine_layers},
              {"head_dims", c.head_dims},
              {"vertex_scale", c.vertex_scale},
              {"sdf_ground_prior", c.sdf_ground_prior},
              {"ground_z_m", c.ground_z_m},
              {"depth_over_opacity", c.depth_over_opacity},
              {"free_border_voxels", c.free_border_voxels},
              {"occupied_sdf", c.occupied_sdf},
              {"keyframe_interval_s", c.keyframe_interval_s},
              {"depth_render_stride", c.depth_render_stride},
              {"backbone_lr_multiplier", c.backbone_lr_multiplier},
              {"encoder_lr_multiplier", c.encoder_lr_multiplier},
              {"temporal_lr_multiplier", c.temporal_lr_multiplier},
              {"sdf_lr_multiplier", c.sdf_lr_multiplier},
              {"flow_lr_multiplier", c.flow_lr_multiplier}};
}

// The training keys (stage schedule, ablations, LiDAR), a block of their own.
json training_keys(const LetOccFlowConfig& c) {
  return json{{"stage2_from_step", c.stage2_from_step},
              {"stage2_backbone_lr_multiplier", c.stage2_backbone_lr_multiplier},
              {"stage2_encoder_lr_multiplier", c.stage2_encoder_lr_multiplier},
              {"stage2_temporal_lr_multiplier", c.stage2_temporal_lr_multiplier},
              {"stage2_sdf_lr_multiplier", c.stage2_sdf_lr_multiplier},
              {"stage2_flow_lr_multiplier", c.stage2_flow_lr_multiplier},
              {"stage2_freeze_variance", c.stage2_freeze_variance},
              {"dynamic_disentanglement", c.dynamic_disentanglement},
              {"flow_supervision", c.flow_supervision},
              {"lidar", c.lidar}};
}

void read_training_keys(const json& own, LetOccFlowConfig& parsed) {
  parsed.stage2_from_step = read_integer(own, "stage2_from_step", 0);
  if (parsed.stage2_from_step > 0 && parsed.stage != 1)
    throw UsageError(key_name("stage2_from_step") + " switches stage 1 to stage 2; it needs " +
                     key_name("stage") + " = 1, got " + std::to_string(parsed.stage));
  parsed.stage2_backbone_lr_multiplier = read_number(own, "stage2_backbone_lr_multiplier", 0.0, 1e6);
  parsed.stage2_encoder_lr_multiplier = read_number(own, "stage2_encoder_lr_multiplier", 0.0, 1e6);
  parsed.stage2_temporal_lr_multiplier = read_number(own, "stage2_temporal_lr_multiplier", 0.0, 1e6);
  parsed.stage2_sdf_lr_multiplier = read_number(own, "stage2_sdf_lr_multiplier", 0.0, 1e6);
  parsed.stage2_flow_lr_multiplier = read_number(own, "stage2_flow_lr_multiplier", 0.0, 1e6);
  parsed.stage2_freeze_variance = read_bool(own, "stage2_freeze_variance");
  parsed.dynamic_disentanglement = read_bool(own, "dynamic_disentanglement");
  parsed.flow_supervision = read_string(own, "flow_supervision");
  const auto& modes = letoccflow_flow_supervision_modes();
  if (std::find(modes.begin(), modes.end(), parsed.flow_supervision) == modes.end())
    throw UsageError(key_name("flow_supervision") + " must be forward, backward, both or none, got " +
                     quoted(parsed.flow_supervision));
  parsed.lidar = read_bool(own, "lidar");
  if (parsed.lidar && parsed.render.lidar_rays < 1)
    throw UsageError(key_name("lidar") + " renders " + key_name("render.lidar_rays") +
                     " rays a frame; it is 0");
}

// The network-completion keys (temporal fusion, 3D refinement, camera
// embedding), kept apart from the training keys.
json network_keys(const LetOccFlowConfig& c) {
  return json{{"temporal", c.temporal},
              {"temporal_frames", c.temporal_frames},
              {"temporal_heads", c.temporal_heads},
              {"temporal_points", c.temporal_points},
              {"refine", c.refine},
              {"refine_blocks", c.refine_blocks},
              {"camera_embeddings", c.camera_embeddings}};
}

void read_network_keys(const json& own, LetOccFlowConfig& parsed) {
  parsed.temporal = read_string(own, "temporal");
  parse_temporal_mode(parsed.temporal, key_name("temporal"));
  parsed.temporal_frames = read_integer(own, "temporal_frames", 1);
  parsed.temporal_heads = read_integer(own, "temporal_heads", 1);
  parsed.temporal_points = read_integer(own, "temporal_points", 1);
  require_divisible(parsed.embed_dims, "embed_dims", parsed.temporal_heads, "temporal_heads");
  parsed.refine = read_string(own, "refine");
  if (parsed.refine != "resnet_fpn3d" && parsed.refine != "conv_blocks")
    throw UsageError(key_name("refine") + " must be resnet_fpn3d or conv_blocks, got " +
                     quoted(parsed.refine));
  parsed.refine_blocks = read_integers(own, "refine_blocks", 1);
  if (parsed.refine_blocks.empty())
    throw UsageError(key_name("refine_blocks") + " must list at least one stage");
  parsed.camera_embeddings = read_integer(own, "camera_embeddings", 0);
}

// The rig keys (the KITTI settings of issue 17), a block of their own.
json rig_keys(const LetOccFlowConfig& c) {
  return json{{"source_max_distance_m", c.source_max_distance_m},
              {"free_above_z_index", c.free_above_z_index}};
}

void read_rig_keys(const json& own, LetOccFlowConfig& parsed) {
  parsed.source_max_distance_m = read_number(own, "source_max_distance_m", 0.0, 1e4);
  parsed.free_above_z_index = read_integer(own, "free_above_z_index", 0);
}

// The renderer's and the losses' keys are flat ("render.samples") in their
// own readers; here they are tables (model.render, model.loss), so that
// --set model.render.samples=16 and a TOML [model.render] table reach them.
json without_prefix(const json& flat, const std::string& prefix) {
  json table = json::object();
  for (auto it = flat.begin(); it != flat.end(); ++it) table[it.key().substr(prefix.size())] = it.value();
  return table;
}

json with_prefix(const json& table, const std::string& prefix) {
  json flat = json::object();
  for (auto it = table.begin(); it != table.end(); ++it) flat[prefix + it.key()] = it.value();
  return flat;
}

// A table key of the model section (render, loss), as a flat object.
json sub_table(const json& config, const std::string& key) {
  const json& table = require(config, key);
  if (!table.is_object()) throw UsageError(key_name(key) + " must be a table, got " + table.dump());
  return with_prefix(table, key + ".");
}

std::array<int64_t, 3> read_triple(const json& config, const std::string& key, const char* form) {
  const auto values = read_integers(config, key, 1);
  if (values.size() != 3)
    throw UsageError(key_name(key) + " must be " + form + ", got " + require(config, key).dump());
  return {values[0], values[1], values[2]};
}

}  // namespace

const std::vector<std::string>& letoccflow_sizes() {
  static const std::vector<std::string> sizes = {"base", "small", "demo"};
  return sizes;
}

const std::vector<std::string>& letoccflow_flow_supervision_modes() {
  static const std::vector<std::string> modes = {"forward", "backward", "both", "none"};
  return modes;
}

json LetOccFlowConfig::to_json() const {
  json out = own_keys(*this);
  out.update(training_keys(*this));
  out.update(network_keys(*this));
  out.update(rig_keys(*this));
  out["render"] = without_prefix(render.to_json(), "render.");
  out["loss"] = without_prefix(loss.to_json(), "loss.");
  return out;
}

LetOccFlowConfig LetOccFlowConfig::from_json(const json& config) {
  if (!config.is_object())
    throw UsageError("the model configuration must be a JSON object, got " + config.dump());
  json own = config;
  own.erase("render");
  own.erase("loss");
  json known = own_keys(LetOccFlowConfig());
  known.update(training_keys(LetOccFlowConfig()));
  known.update(network_keys(LetOccFlowConfig()));
  known.update(rig_keys(LetOccFlowConfig()));
  config::reject_unknown_keys(own, known);

  LetOccFlowConfig parsed;
  parsed.render = render::RenderConfig::from_json(sub_table(config, "render"));
  parsed.loss = losses::LossConfig::from_json(sub_table(config, "loss"));
  parsed.stage = static_cast<int>(read_integer(own, "stage", 1));
  if (parsed.stage > 2)
    throw UsageError(key_name("stage") + " must be 1 (static) or 2 (flow), got " +
                     std::to_string(parsed.stage));
  const BackboneKeys backbone = read_backbone_keys(own);
  parsed.backbone = backbone.name;
  parsed.backbone_depth = backbone.depth;
  parsed.backbone_out_indices = backbone.out_indices;
  parsed.backbone_frozen_stages = backbone.frozen_stages;
  parsed.backbone_norm_eval = backbone.norm_eval;
  parsed.backbone_drop_path = backbone.drop_path;
  parsed.backbone_norm_out = backbone.norm_out;
  parsed.embed_dims = read_integer(own, "embed_dims", 1);
  parsed.num_heads = read_integer(own, "num_heads", 1);
  require_divisible(parsed.embed_dims, "embed_dims", parsed.num_heads, "num_heads");
  parsed.num_levels = read_num_levels(own, backbone);
  parsed.ffn_dims = read_integer(own, "ffn_dims", 1);
  parsed.dropout = read_number(own, "dropout", 0.0, 0.999);
  parsed.encoder_layers = read_integer(own, "encoder_layers", 1);
  parsed.tpv_shape = read_triple(own, "tpv_shape", "[X, Y, Z] cells");
  parsed.pillar_points = read_triple(own, "pillar_points", "[along z, along y, along x] points");
  parsed.cross_view_attention = read_bool(own, "cross_view_attention");
  parsed.cross_view_points = read_integer(own, "cross_view_points", 1);
  parsed.refine_layers = read_integer(own, "refine_layers", 0);
  parsed.head_dims = read_integer(own, "head_dims", 1);
  parsed.vertex_scale = read_integer(own, "vertex_scale", 1);
  parsed.sdf_ground_prior = read_bool(own, "sdf_ground_prior");
  parsed.ground_z_m = read_number(own, "ground_z_m", -1e3, 1e3);
  parsed.depth_over_opacity = read_bool(own, "depth_over_opacity");
  parsed.free_border_voxels = read_integer(own, "free_border_voxels", 0);
  parsed.occupied_sdf = read_number(own, "occupied_sdf", -1e3, 1e3);
  parsed.keyframe_interval_s = read_number(own, "keyframe_interval_s", 1e-3, 1e3);
  parsed.depth_render_stride = read_integer(own, "depth_render_stride", 1);
  parsed.backbone_lr_multiplier = read_number(own, "backbone_lr_multiplier", 0.0, 1e6);
  parsed.encoder_lr_multiplier = read_number(own, "encoder_lr_multiplier", 0.0, 1e6);
  parsed.temporal_lr_multiplier = read_number(own, "temporal_lr_multiplier", 0.0, 1e6);
  parsed.sdf_lr_multiplier = read_number(own, "sdf_lr_multiplier", 0.0, 1e6);
  parsed.flow_lr_multiplier = read_number(own, "flow_lr_multiplier", 0.0, 1e6);
  read_training_keys(own, parsed);
  read_network_keys(own, parsed);
  read_rig_keys(own, parsed);
  return parsed;
}

json letoccflow_default_config(const std::string& size, const GridSpec& grid) {
  const auto& sizes = letoccflow_sizes();
  if (std::find(sizes.begin(), sizes.end(), size) == sizes.end())
    throw UsageError("unknown letoccflow size " + quoted(size) + " (known: base, small, demo)");
  LetOccFlowConfig config;  // the defaults are the paper's nuScenes model (base)
  const bool semantickitti = grid.shape == std::array<int64_t, 3>{256, 256, 32};
  const auto half = [&](size_t axis) { return std::max<int64_t>(1, grid.shape[axis] / 2); };
  // TPV cell = half the output resolution in x, y (nuScenes 100x100x10 at
  // 0.8 m; KITTI 128x128x16 at 0.4 m).
  config.tpv_shape =
      semantickitti ? std::array<int64_t, 3>{128, 128, 16} : std::array<int64_t, 3>{half(0), half(1), 10};
  if (size == "base") {
    // The paper's image backbone: ConvNeXt-B into the FPN (192 ch, 4 levels),
    // as the released config (config/nuscenes/*.py: out_indices (0, 1, 2,
    // 3), norm_out=True, frozen_stages=0 = nothing frozen = -1 here, no
    // drop_path_rate = 0). Small and demo keep their ResNets.
    config.backbone = "convnext_base";
    config.backbone_frozen_stages = -1;
    config.backbone_norm_out = true;
  }
  if (size == "small") {
    // ResNet-50 at strides 8..32, a quarter-resolution TPV of 96 channels.
    config.backbone_out_indices = {1, 2, 3};
    config.num_levels = 3;
    config.embed_dims = 96;
    config.num_heads = 4;
    config.ffn_dims = 192;
    config.encoder_layers = 2;
    config.tpv_shape = {std::max<int64_t>(1, grid.shape[0] / 4), std::max<int64_t>(1, grid.shape[1] / 4), 8};
    config.pillar_points = {8, 16, 16};
    config.head_dims = 64;
    config.render.samples = 128;
  }
  if (size == "demo") {
    // Two CPU cores: ResNet-18 at strides 8 and 16, a 20x20x4 TPV (on the
    // Occ3D grid 200x200x16) of 32 channels, one layer, short rays.
    config.backbone_depth = 18;
    config.backbone_out_indices = {1, 2};
    config.backbone_frozen_stages = -1;
    config.backbone_norm_eval = false;
    config.num_levels = 2;
    config.embed_dims = 32;
    config.num_heads = 4;
    config.ffn_dims = 64;
    config.encoder_layers = 1;
    config.tpv_shape = {std::max<int64_t>(1, grid.shape[0] / 10), std::max<int64_t>(1, grid.shape[1] / 10),
                        std::max<int64_t>(1, grid.shape[2] / 4)};
    config.pillar_points = {4, 8, 8};
    config.cross_view_points = 4;
    config.refine_layers = 1;
    config.head_dims = 32;
    config.depth_render_stride = 2;
    config.render.ray_rows = 16;
    config.render.ray_cols = 44;
    config.render.samples = 64;
    config.render.cos_anneal_steps = 500;
    config.backbone_lr_multiplier = 1.0;  // from scratch
    config.free_border_voxels = 0;
    // One earlier keyframe (a queue of 2): every history frame costs a full
    // backbone + TPV pass without gradients, the dominant cost of temporal
    // fusion on two cores (docs/letoccflow.md, "Measured").
    config.temporal_frames = 1;
    config.temporal_heads = 4;  // C = 32
  }
  if (semantickitti) {
    // The KITTI rig (reference/letoccflow.md, "Data setups"; the Velodyne
    // ego frame of occ prep kitti-mot / semantickitti): 10 Hz frames, the
    // next source t + 1, previous sources within 6 m, the ground 1.73 m
    // below the LiDAR (CHOSEN: KITTI's mounting height, for the SDF ground
    // prior), z index >= 28 free at evaluation where the border is zeroed.
    config.keyframe_interval_s = 0.1;
    config.source_max_distance_m = 6.0;
    config.ground_z_m = -1.73;
    if (size != "demo") config.free_above_z_index = 28;
    if (size == "base") {
      config.render.ray_rows = 44;  // LOF KITTI: 44x152 rays per camera
      config.render.ray_cols = 152;
    }
  }
  return config.to_json();
}

std::vector<std::string> letoccflow_tiny_settings() {
  return {"model.embed_dims=16",       "model.num_heads=2",         "model.ffn_dims=32",
          "model.tpv_shape=[4, 4, 2]", "model.cross_view_points=2", "model.pillar_points=[2, 2, 2]",
          "model.head_dims=16",        "model.render.samples=16",   "model.render.ray_rows=8",
          "model.render.ray_cols=8",   "model.temporal_heads=2",    "model.temporal_points=2",
          "model.refine_blocks=[1, 1]"};
}

}  // namespace occ::models
