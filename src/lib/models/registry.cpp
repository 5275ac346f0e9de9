#include "models/registry.h"

#include <memory>

#include "core/error.h"
#include "models/baseline/baseline_config.h"
#include "models/baseline/baseline_model.h"
#include "models/letoccflow/letoccflow_kind.h"
#include "models/protoocc/protoocc_config.h"
#include "models/protoocc/protoocc_model.h"

namespace occ::models {
namespace {

ModelOutputs semantic_outputs() {
  ModelOutputs outputs;
  outputs.probabilities = true;
  return outputs;
}

// The demo preset shrunk: 16 channels, 2 heads and points.
std::vector<std::string> baseline_tiny_settings() {
  return {"model.embed_dims=16",
          "model.num_heads=2",
          "model.num_points=2",
          "model.ffn_dims=32",
          "model.decoder_channels=[16, 16]",
          "model.classifier_hidden=16"};
}

ModelKind baseline_kind() {
  ModelKind kind;
  kind.name = "baseline";
  kind.summary = "PanoOcc-style voxel queries: ResNet+FPN, spatial cross-attention, 3D deconvolution decoder";
  kind.inputs = [](const nlohmann::json& config) {
    // History keyframes only when temporal fusion is on (history_frames > 0).
    const BaselineConfig parsed = BaselineConfig::from_json(config);
    ModelInputs inputs;
    inputs.history_frames = parsed.history_frames;
    inputs.history_stride = parsed.history_stride;
    inputs.camera_semantics = parsed.loss_image_semantics_weight > 0;
    return inputs;
  };
  kind.sizes = baseline_sizes();
  kind.default_config = baseline_default_config;
  kind.create = [](const nlohmann::json& config, const GridSpec& grid) -> std::shared_ptr<OccupancyModel> {
    return std::make_shared<BaselineModel>(BaselineConfig::from_json(config), grid);
  };
  kind.outputs = [](const nlohmann::json&) { return semantic_outputs(); };
  kind.tiny_settings = baseline_tiny_settings();
  return kind;
}

// ProtoOcc's ablation switches: the rows of the paper's Tables 4 and 5 as
// shorthands for --set model.<key>=... .
std::vector<TrainSwitch> protoocc_switches() {
  using Assignments = std::vector<std::string>;
  return {
      // Optimisation works on mapped prototypes: no mapping, no optimisation.
      {"no-proto-mapping", "no prototype mapping (and so no prototype optimisation)", false,
       [](const std::string&) {
         return Assignments{"model.proto_mapping=false", "model.proto_optimisation=false"};
       }},
      {"no-proto-opt", "no prototype optimisation (no --masks)", false,
       [](const std::string&) { return Assignments{"model.proto_optimisation=false"}; }},
      {"no-mod", "no multi-perspective occupancy decoding", false,
       [](const std::string&) { return Assignments{"model.mod=false"}; }},
      {"aug",
       "augmented views of the decoding: dropout,noise,transpose,flip_x,flip_y (flip: both flips) or none",
       true, [](const std::string& value) { return Assignments{"model.mod_augmentations=" + value}; }},
  };
}

ModelKind protoocc_kind() {
  ModelKind kind;
  kind.name = "protoocc";
  kind.summary =
      "ProtoOcc: the baseline plus prototype mapping, prototype optimisation (needs --masks) and "
      "multi-perspective decoding";
  kind.inputs = [](const nlohmann::json& config) {
    const ProtoOccConfig parsed = ProtoOccConfig::from_json(config);
    ModelInputs inputs;
    inputs.masks = parsed.proto_mapping && parsed.proto_optimisation;
    inputs.camera_semantics = parsed.base.loss_image_semantics_weight > 0;
    inputs.history_frames = parsed.base.history_frames;
    inputs.history_stride = parsed.base.history_stride;
    return inputs;
  };
  kind.sizes = baseline_sizes();
  kind.default_config = protoocc_default_config;
  kind.create = [](const nlohmann::json& config, const GridSpec& grid) -> std::shared_ptr<OccupancyModel> {
    return std::make_shared<ProtoOccModel>(ProtoOccConfig::from_json(config), grid);
  };
  kind.outputs = [](const nlohmann::json& config) {
    ModelOutputs outputs = semantic_outputs();
    if (ProtoOccConfig::from_json(config).proto_mapping) {
      outputs.extras.push_back("prototypes");
    } else {
      outputs.extras_unavailable = "model.proto_mapping is off";
    }
    return outputs;
  };
  kind.extra_outputs = {
      {"prototypes",
       "also write /pred/prototypes: the prototype each stride-8 feature cell of each camera joined "
       "(ProtoOcc "
       "with model.proto_mapping on), drawn by occ render --view prototypes",
       {{"prototypes", h5::DType::uint16, false,
         "hard prototype assignment (ids 0 to M-1) of each stride-8 feature cell of each camera"},
        {"prototype_grid", h5::DType::int32, true, "rows and columns of the initial prototype grid"}}},
  };
  kind.switches = protoocc_switches();
  kind.switches_title = "ProtoOcc ablations";
  kind.tiny_settings = baseline_tiny_settings();
  kind.tiny_settings.push_back("model.proto_hidden_dims=16");
  return kind;
}

std::vector<ModelKind>& kind_table() {
  static std::vector<ModelKind> kinds = {baseline_kind(), protoocc_kind(), letoccflow_kind()};
  return kinds;
}

}  // namespace

const std::vector<ModelKind>& model_kinds() {
  return kind_table();
}

const ModelKind& find_model_kind(const std::string& name) {
  std::string known;
  for (const ModelKind& kind : model_kinds()) {
    if (kind.name == name) return kind;
    known += (known.empty() ? "" : ", ") + kind.name;
  }
  throw UsageError("unknown model " + quoted(name) + " (known: " + known + ")");
}

void register_model_kind(ModelKind kind) {
  for (const ModelKind& known : kind_table()) {
    if (known.name == kind.name) throw UsageError("model kind " + quoted(kind.name) + " is registered twice");
  }
  kind_table().push_back(std::move(kind));
}

}  // namespace occ::models
