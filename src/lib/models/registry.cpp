#include "models/registry.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

ModelKind baseline_kind(const KindDescription& description) {
  ModelKind kind(description);
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

ModelKind protoocc_kind(const KindDescription& description) {
  ModelKind kind(description);
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
  kind.tiny_settings = baseline_tiny_settings();
  kind.tiny_settings.push_back("model.proto_hidden_dims=16");
  return kind;
}

// The builders of the described kinds (model_catalog.cpp), by name: every
// description has exactly one, and every builder a description.
using Builder = ModelKind (*)(const KindDescription& description);
const std::vector<std::pair<std::string, Builder>>& builders() {
  static const std::vector<std::pair<std::string, Builder>> table = {
      {"baseline", baseline_kind},
      {"protoocc", protoocc_kind},
      {"letoccflow", letoccflow_kind},
  };
  return table;
}

std::vector<ModelKind> build_kinds() {
  std::vector<ModelKind> kinds;
  for (const KindDescription& description : model_catalog()) {
    Builder build = nullptr;
    for (const auto& [name, builder] : builders()) {
      if (name == description.name) build = builder;
    }
    if (!build) throw std::logic_error("model kind " + quoted(description.name) + " has no builder");
    kinds.push_back(build(description));
  }
  if (kinds.size() != builders().size())
    throw std::logic_error("a model builder in registry.cpp has no description in model_catalog.cpp");
  return kinds;
}

std::vector<ModelKind>& kind_table() {
  static std::vector<ModelKind> kinds = build_kinds();
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
  std::vector<ModelKind>& kinds = kind_table();  // the described kinds first
  describe_model_kind(kind);                     // throws when the name is taken
  kinds.push_back(std::move(kind));
}

}  // namespace occ::models
