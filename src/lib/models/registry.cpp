#include "models/registry.h"

#include <memory>

#include "core/error.h"
#include "models/baseline/baseline_config.h"
#include "models/baseline/baseline_model.h"
#include "models/protoocc/protoocc_config.h"
#include "models/protoocc/protoocc_model.h"

namespace occ::models {

const std::vector<ModelKind>& model_kinds() {
  static const std::vector<ModelKind> kinds = {
      {"baseline",
       "PanoOcc-style voxel queries: ResNet+FPN, spatial cross-attention, 3D deconvolution decoder",
       [](const nlohmann::json& config) {
         // History keyframes only when temporal fusion is on (history_frames > 0).
         const BaselineConfig parsed = BaselineConfig::from_json(config);
         ModelInputs inputs;
         inputs.history_frames = parsed.history_frames;
         inputs.history_stride = parsed.history_stride;
         return inputs;
       },
       baseline_sizes(), baseline_default_config,
       [](const nlohmann::json& config, const GridSpec& grid) -> std::shared_ptr<OccupancyModel> {
         return std::make_shared<BaselineModel>(BaselineConfig::from_json(config), grid);
       }},
      {"protoocc",
       "ProtoOcc: the baseline plus prototype mapping, prototype optimisation (needs --masks) and "
       "multi-perspective decoding",
       [](const nlohmann::json& config) {
         const ProtoOccConfig parsed = ProtoOccConfig::from_json(config);
         ModelInputs inputs;
         inputs.masks = parsed.proto_mapping && parsed.proto_optimisation;
         inputs.history_frames = parsed.base.history_frames;
         inputs.history_stride = parsed.base.history_stride;
         return inputs;
       },
       baseline_sizes(), protoocc_default_config,
       [](const nlohmann::json& config, const GridSpec& grid) -> std::shared_ptr<OccupancyModel> {
         return std::make_shared<ProtoOccModel>(ProtoOccConfig::from_json(config), grid);
       }},
  };
  return kinds;
}

const ModelKind& find_model_kind(const std::string& name) {
  std::string known;
  for (const ModelKind& kind : model_kinds()) {
    if (kind.name == name) return kind;
    known += (known.empty() ? "" : ", ") + kind.name;
  }
  throw UsageError("unknown model " + quoted(name) + " (known: " + known + ")");
}

}  // namespace occ::models
