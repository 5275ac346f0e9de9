#include "models/baseline/baseline_config.h"

#include <algorithm>

#include "core/error.h"
#include "models/config_reader.h"

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
using config::require;
using config::require_divisible;
using nlohmann::json;

// Sanity bounds: each history frame is another full backbone and encoder pass.
constexpr int kMaxHistoryFrames = 16;
constexpr int kMaxHistoryStride = 1000;

// How a preset divides the grid into queries (Occ3D: base 100x100x16 from
// 200x200x16, small 50x50x16, tiny 50x50x4).
std::array<int64_t, 3> query_divisors(const std::string& size) {
  if (size == "base") return {2, 2, 1};
  if (size == "small") return {4, 4, 1};
  if (size == "tiny") return {4, 4, 4};
  return {4, 4, 2};  // demo
}

std::array<int64_t, 3> preset_query_shape(const std::string& size, const GridSpec& grid) {
  // The paper's SemanticKITTI variants (protoocc.md): Z is halved for base and
  // quartered for small, unlike on Occ3D's flat 16-voxel grid.
  const bool semantickitti = grid.shape == std::array<int64_t, 3>{256, 256, 32};
  if (semantickitti && size == "base") return {128, 128, 16};
  if (semantickitti && (size == "small" || size == "tiny")) return {64, 64, 8};
  const auto divisors = query_divisors(size);
  std::array<int64_t, 3> shape{};
  for (size_t axis = 0; axis < 3; ++axis)
    shape[axis] = std::max<int64_t>(1, grid.shape[axis] / divisors[axis]);
  return shape;
}

}  // namespace

const std::vector<std::string>& baseline_sizes() {
  static const std::vector<std::string> sizes = {"small", "base", "tiny", "demo"};
  return sizes;
}

json BaselineConfig::to_json() const {
  return json{{"backbone", backbone},
              {"backbone_depth", backbone_depth},
              {"backbone_out_indices", backbone_out_indices},
              {"backbone_frozen_stages", backbone_frozen_stages},
              {"backbone_norm_eval", backbone_norm_eval},
              {"backbone_style", backbone_style},
              {"backbone_drop_path", backbone_drop_path},
              {"backbone_norm_out", backbone_norm_out},
              {"embed_dims", embed_dims},
              {"num_heads", num_heads},
              {"num_points", num_points},
              {"num_levels", num_levels},
              {"ffn_dims", ffn_dims},
              {"dropout", dropout},
              {"encoder_layers", encoder_layers},
              {"self_attention", self_attention},
              {"query_shape", query_shape},
              {"decoder_channels", decoder_channels},
              {"decoder_upsampling", decoder_upsampling},
              {"classifier_hidden", classifier_hidden},
              {"occupancy_head", occupancy_head},
              {"occupancy_threshold", occupancy_threshold},
              {"loss_ce_weight", loss_ce_weight},
              {"loss_lovasz_weight", loss_lovasz_weight},
              {"loss_focal_weight", loss_focal_weight},
              {"loss_ce_class_weighting", loss_ce_class_weighting},
              {"loss_image_semantics_weight", loss_image_semantics_weight},
              {"image_pretraining", image_pretraining},
              {"loss_lovasz_mask_camera", loss_lovasz_mask_camera},
              {"backbone_lr_multiplier", backbone_lr_multiplier},
              {"history_frames", history_frames},
              {"history_stride", history_stride},
              {"temporal_fusion", temporal_fusion},
              {"temporal_self_attention", temporal_self_attention}};
}

BaselineConfig BaselineConfig::from_json(const json& config) {
  // The keys are those to_json writes.
  config::reject_unknown_keys(config, BaselineConfig().to_json());

  BaselineConfig parsed;
  const BackboneKeys backbone = read_backbone_keys(config);
  parsed.backbone = backbone.name;
  parsed.backbone_depth = backbone.depth;
  parsed.backbone_out_indices = backbone.out_indices;
  parsed.backbone_frozen_stages = backbone.frozen_stages;
  parsed.backbone_norm_eval = backbone.norm_eval;
  const json& style = require(config, "backbone_style");
  if (!style.is_string() || (style != "pytorch" && style != "caffe"))
    throw UsageError(key_name("backbone_style") + " must be \"pytorch\" or \"caffe\", got " + style.dump());
  parsed.backbone_style = style.get<std::string>();
  if (parsed.backbone_style == "caffe" && parsed.backbone != "resnet")
    throw UsageError(key_name("backbone_style") + " caffe is a ResNet variant; " + key_name("backbone") +
                     " " + parsed.backbone + " has none: leave it \"pytorch\"");
  parsed.backbone_drop_path = backbone.drop_path;
  parsed.backbone_norm_out = backbone.norm_out;

  parsed.embed_dims = read_integer(config, "embed_dims", 1);
  parsed.num_heads = read_integer(config, "num_heads", 1);
  require_divisible(parsed.embed_dims, "embed_dims", parsed.num_heads, "num_heads");
  parsed.num_points = read_integer(config, "num_points", 1);
  parsed.num_levels = read_num_levels(config, backbone);
  parsed.ffn_dims = read_integer(config, "ffn_dims", 1);
  parsed.dropout = read_number(config, "dropout", 0.0, 0.999);
  parsed.encoder_layers = read_integer(config, "encoder_layers", 1);
  parsed.self_attention = read_bool(config, "self_attention");
  const auto query_shape = read_integers(config, "query_shape", 1);
  if (query_shape.size() != 3)
    throw UsageError(key_name("query_shape") + " must be [X, Y, Z], got " +
                     require(config, "query_shape").dump());
  std::copy(query_shape.begin(), query_shape.end(), parsed.query_shape.begin());
  parsed.decoder_channels = read_integers(config, "decoder_channels", 1);
  const json& upsampling = require(config, "decoder_upsampling");
  if (!upsampling.is_string() || (upsampling != "deconv" && upsampling != "trilinear"))
    throw UsageError(key_name("decoder_upsampling") + " must be \"deconv\" or \"trilinear\", got " +
                     upsampling.dump());
  parsed.decoder_upsampling = upsampling.get<std::string>();
  parsed.classifier_hidden = read_integer(config, "classifier_hidden", 1);
  parsed.occupancy_head = read_bool(config, "occupancy_head");
  parsed.occupancy_threshold = read_number(config, "occupancy_threshold", 0.0, 1.0);
  parsed.loss_ce_weight = read_number(config, "loss_ce_weight", 0.0, 1e6);
  parsed.loss_lovasz_weight = read_number(config, "loss_lovasz_weight", 0.0, 1e6);
  parsed.loss_focal_weight = read_number(config, "loss_focal_weight", 0.0, 1e6);
  const json& weighting = require(config, "loss_ce_class_weighting");
  if (!weighting.is_string() || (weighting != "none" && weighting != "inverse_log_frequency"))
    throw UsageError(key_name("loss_ce_class_weighting") +
                     " must be \"none\" or \"inverse_log_frequency\", got " + weighting.dump());
  parsed.loss_ce_class_weighting = weighting.get<std::string>();
  parsed.loss_image_semantics_weight = read_number(config, "loss_image_semantics_weight", 0.0, 1e6);
  parsed.image_pretraining = read_bool(config, "image_pretraining");
  if (parsed.image_pretraining && parsed.loss_image_semantics_weight <= 0)
    throw UsageError(key_name("image_pretraining") + " trains on the 2D semantic loss alone: set " +
                     key_name("loss_image_semantics_weight") + " above 0");
  parsed.loss_lovasz_mask_camera = read_bool(config, "loss_lovasz_mask_camera");
  parsed.backbone_lr_multiplier = read_number(config, "backbone_lr_multiplier", 0.0, 1e6);
  parsed.history_frames = static_cast<int>(read_integer(config, "history_frames", 0));
  if (parsed.history_frames > kMaxHistoryFrames)
    throw UsageError(key_name("history_frames") + " must be at most " + std::to_string(kMaxHistoryFrames) +
                     ", got " + std::to_string(parsed.history_frames));
  parsed.history_stride = static_cast<int>(read_integer(config, "history_stride", 1));
  if (parsed.history_stride > kMaxHistoryStride)
    throw UsageError(key_name("history_stride") + " must be at most " + std::to_string(kMaxHistoryStride) +
                     ", got " + std::to_string(parsed.history_stride));
  parsed.temporal_fusion = read_bool(config, "temporal_fusion");
  parsed.temporal_self_attention = read_bool(config, "temporal_self_attention");
  if (parsed.temporal_self_attention && !parsed.self_attention)
    throw UsageError(key_name("temporal_self_attention") + " replaces the self-attention: it needs " +
                     key_name("self_attention") + " true");
  if (parsed.temporal_self_attention && parsed.history_frames == 0)
    throw UsageError(key_name("temporal_self_attention") + " needs history: set " +
                     key_name("history_frames") + " to at least 1");
  if (parsed.history_frames > 0 && !parsed.temporal_fusion && !parsed.temporal_self_attention)
    throw UsageError(key_name("history_frames") + " is " + std::to_string(parsed.history_frames) +
                     " but neither " + key_name("temporal_fusion") + " nor " +
                     key_name("temporal_self_attention") + " uses the history");
  return parsed;
}

json baseline_default_config(const std::string& size, const GridSpec& grid) {
  const auto& sizes = baseline_sizes();
  if (std::find(sizes.begin(), sizes.end(), size) == sizes.end())
    throw UsageError("unknown baseline size " + quoted(size) + " (known: base, small, tiny, demo)");
  BaselineConfig config;  // the defaults are PanoOcc-Small's
  config.query_shape = preset_query_shape(size, grid);
  if (size == "base") config.decoder_channels = {32};
  if (size == "demo") {
    // Two CPU cores: ResNet-18 at strides 8 and 16, one narrow layer.
    config.backbone_depth = 18;
    config.backbone_out_indices = {1, 2};
    config.backbone_frozen_stages = -1;
    config.backbone_norm_eval = false;
    config.embed_dims = 64;
    config.num_heads = 4;
    config.num_points = 4;
    config.num_levels = 2;
    config.encoder_layers = 1;
    config.ffn_dims = 128;
    config.self_attention = false;
    config.decoder_channels = {32, 16};
    config.classifier_hidden = 32;
  }
  return config.to_json();
}

}  // namespace occ::models
