#include "models/protoocc/protoocc_config.h"

#include "core/error.h"
#include "models/config_reader.h"
#include "models/protoocc/multi_perspective.h"

namespace occ::models {
namespace {

using nlohmann::json;

// A string key that must be one of `choices`; the error names the key and them.
std::string read_choice(const json& config, const std::string& key, const std::vector<std::string>& choices) {
  const std::string value = config::read_string(config, key);
  std::string known;
  for (const std::string& choice : choices) {
    if (value == choice) return value;
    known += (known.empty() ? "\"" : ", \"") + choice + "\"";
  }
  throw UsageError(config::key_name(key) + " must be one of " + known + ", got " + json(value).dump());
}

json protoocc_keys(const ProtoOccConfig& config) {
  return json{{"proto_mapping", config.proto_mapping},
              {"proto_mapping_layers", config.proto_mapping_layers},
              {"proto_feature_stride", config.proto_feature_stride},
              {"proto_ratio", config.proto_ratio},
              {"proto_iterations", config.proto_iterations},
              {"proto_temperature", config.proto_temperature},
              {"proto_neighbourhood", config.proto_neighbourhood},
              {"proto_hidden_dims", config.proto_hidden_dims},
              {"proto_affinity_learnable", config.proto_affinity_learnable},
              {"proto_assignment", config.proto_assignment},
              {"proto_aggregate_counts_prototype", config.proto_aggregate_counts_prototype},
              {"proto_normalise_dispatch", config.proto_normalise_dispatch},
              {"proto_residual", config.proto_residual},
              {"proto_optimisation", config.proto_optimisation},
              {"proto_contrastive_temperature", config.proto_contrastive_temperature},
              {"proto_loss_sum", config.proto_loss_sum},
              {"proto_pixels_map", config.proto_pixels_map},
              {"proto_pixels_attention_gradient", config.proto_pixels_attention_gradient},
              {"proto_pixels_normalise", config.proto_pixels_normalise},
              {"proto_pixels_centre", config.proto_pixels_centre},
              {"mod", config.mod},
              {"mod_augmentations", config.mod_augmentations},
              {"mod_dropout", config.mod_dropout},
              {"mod_noise_std", config.mod_noise_std},
              {"mod_temperature", config.mod_temperature},
              {"mod_consistency_mask_camera", config.mod_consistency_mask_camera},
              {"loss_prototype_weight", config.loss_prototype_weight},
              {"loss_consistency_weight", config.loss_consistency_weight}};
}

}  // namespace

json ProtoOccConfig::to_json() const {
  json merged = base.to_json();
  merged.update(protoocc_keys(*this));
  return merged;
}

ProtoOccConfig ProtoOccConfig::from_json(const json& config) {
  config::reject_unknown_keys(config, ProtoOccConfig().to_json());
  const json own = protoocc_keys(ProtoOccConfig());
  json baseline_part = config;
  for (const auto& item : own.items()) baseline_part.erase(item.key());

  ProtoOccConfig parsed;
  parsed.base = BaselineConfig::from_json(baseline_part);
  if (parsed.base.image_pretraining)
    throw UsageError(config::key_name("image_pretraining") +
                     " is a baseline-model run (2D only); ProtoOcc trains its 3D path from the first step");
  parsed.proto_mapping = config::read_bool(config, "proto_mapping");
  parsed.proto_mapping_layers = read_choice(config, "proto_mapping_layers", {"all", "first"});
  parsed.proto_feature_stride = config::read_integer(config, "proto_feature_stride", 4);
  parsed.proto_ratio = config::read_integer(config, "proto_ratio", 1);
  parsed.proto_iterations = config::read_integer(config, "proto_iterations", 0);
  parsed.proto_temperature = config::read_number(config, "proto_temperature", 1e-6, 1e6);
  parsed.proto_neighbourhood = config::read_integer(config, "proto_neighbourhood", 0);
  parsed.proto_hidden_dims = config::read_integer(config, "proto_hidden_dims", 1);
  parsed.proto_affinity_learnable = config::read_bool(config, "proto_affinity_learnable");
  parsed.proto_assignment = read_choice(config, "proto_assignment", {"soft", "hard"});
  parsed.proto_aggregate_counts_prototype = config::read_bool(config, "proto_aggregate_counts_prototype");
  parsed.proto_normalise_dispatch = config::read_bool(config, "proto_normalise_dispatch");
  parsed.proto_residual = read_choice(config, "proto_residual", {"query", "mapped"});
  parsed.proto_optimisation = config::read_bool(config, "proto_optimisation");
  parsed.proto_contrastive_temperature =
      config::read_number(config, "proto_contrastive_temperature", 1e-6, 1e6);
  parsed.proto_loss_sum = config::read_bool(config, "proto_loss_sum");
  parsed.proto_pixels_map = read_choice(config, "proto_pixels_map", {"softmax", "linear"});
  parsed.proto_pixels_attention_gradient = config::read_bool(config, "proto_pixels_attention_gradient");
  parsed.proto_pixels_normalise = config::read_bool(config, "proto_pixels_normalise");
  parsed.proto_pixels_centre = config::read_bool(config, "proto_pixels_centre");
  if (parsed.proto_optimisation && !parsed.proto_mapping)
    throw UsageError(config::key_name("proto_optimisation") + " needs " + config::key_name("proto_mapping") +
                     " (it optimises the mapped prototypes; Table 4 has no optimisation-only row)");
  parsed.mod = config::read_bool(config, "mod");
  parsed.mod_augmentations = config::read_string(config, "mod_augmentations");
  // Parsed here so that a typo fails before training, naming the key.
  parse_perspective_augmentations(parsed.mod_augmentations, "model.mod_augmentations");
  parsed.mod_dropout = config::read_number(config, "mod_dropout", 0.0, 0.999);
  parsed.mod_noise_std = config::read_number(config, "mod_noise_std", 0.0, 1e6);
  parsed.mod_temperature = config::read_number(config, "mod_temperature", 1e-3, 1.0);
  parsed.mod_consistency_mask_camera = config::read_bool(config, "mod_consistency_mask_camera");
  parsed.loss_prototype_weight = config::read_number(config, "loss_prototype_weight", 0.0, 1e6);
  parsed.loss_consistency_weight = config::read_number(config, "loss_consistency_weight", 0.0, 1e6);
  return parsed;
}

json protoocc_default_config(const std::string& size, const GridSpec& grid) {
  ProtoOccConfig config;
  config.base = BaselineConfig::from_json(baseline_default_config(size, grid));
  config.proto_hidden_dims = config.base.embed_dims;
  return config.to_json();
}

}  // namespace occ::models
