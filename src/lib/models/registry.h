#pragma once
// The table of model kinds (`occ train --model NAME`). A kind declares what
// it reads besides frames, how it is supervised and validated, what it
// predicts, its command-line shorthands, its size presets and how to build
// it; the trainer, `occ predict` and src/cmd only use this table and the
// OccupancyModel interface, so adding a model is its own folder and one
// entry in registry.cpp.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "h5/dtype.h"
#include "models/batch.h"
#include "models/model_inputs.h"

namespace occ::models {

class OccupancyModel;

// Which frames a kind trains on.
enum class Supervision {
  semantic,         // keyframes with 3D targets (/occupancy/semantics)
  self_supervised,  // keyframes with at least one neighbour (ModelInputs::neighbour_offsets); no 3D labels
};

// One dataset /pred/<name> of an extra output.
struct ExtraDataset {
  std::string name;
  h5::DType dtype;
  bool once_per_file = false;  // one value for the whole file (written with the first batch)
  std::string description;
};

// An optional output of a kind beyond the standard fields of Prediction,
// switched on by `occ predict --<name>` (e.g. ProtoOcc's prototypes).
struct ExtraOutput {
  std::string name;  // the flag and the PredictionRequest::extras entry
  std::string help;
  std::vector<ExtraDataset> datasets;
};

// What a configured kind can predict (occ predict refuses other requests
// before any work).
struct ModelOutputs {
  bool probabilities = false;  // class logits: --probabilities
  bool depth = false;          // rendered depth per camera: --depth
  bool flow = false;           // per-voxel flow, always written
  bool sdf = false;            // per-voxel SDF, always written
  bool occupancy_probability = false;
  bool geometry_only = false;       // semantics say occupied (class 0, or 1 where 0 is free) or free only
  std::vector<std::string> extras;  // names of ModelKind::extra_outputs available with this configuration
  std::string extras_unavailable;   // why the others are not, for the usage error
};

// A command-line shorthand of `occ train` for configuration assignments
// (e.g. ProtoOcc's --no-mod for --set model.mod=false).
struct TrainSwitch {
  std::string flag;  // without the dashes
  std::string help;
  bool takes_value = false;
  // The --set assignments the switch stands for (value: its argument, or
  // empty for a flag).
  std::function<std::vector<std::string>(const std::string& value)> assignments;
};

struct ModelKind {
  std::string name;
  std::string summary;
  // What a complete configuration makes the model read (e.g. history frames
  // only when temporal fusion is switched on).
  std::function<ModelInputs(const nlohmann::json& config)> inputs;
  // Size presets, the first being the default (e.g. base, small, tiny, demo).
  std::vector<std::string> sizes;
  // The complete "model" configuration section of a size preset for a grid:
  // every key a user may override with --config/--set, with its default.
  std::function<nlohmann::json(const std::string& size, const GridSpec& grid)> default_config;
  // Builds the model from a complete configuration (defaults merged with the
  // user's overrides); throws UsageError naming the key for bad values.
  std::function<std::shared_ptr<OccupancyModel>(const nlohmann::json& config, const GridSpec& grid)> create;
  Supervision supervision = Supervision::semantic;
  // Validation metrics during training (train/validation.h): "miou" (needs
  // 3D targets), "depth" (needs /cameras/depth and a model that renders).
  std::vector<std::string> validation{"miou"};
  std::function<ModelOutputs(const nlohmann::json& config)> outputs;
  std::vector<ExtraOutput> extra_outputs;
  std::vector<TrainSwitch> switches;
  std::string switches_title;  // the option group's title in occ train --help
  // --set assignments that shrink the last size preset to the smallest model
  // that still runs every part: for the conformance tests and smoke runs.
  std::vector<std::string> tiny_settings;
};

const std::vector<ModelKind>& model_kinds();
// Throws UsageError listing the known kinds.
const ModelKind& find_model_kind(const std::string& name);
// Adds a kind to the table (for kinds that live outside the library, such as
// the test-only kind of the conformance tests). Throws UsageError when the
// name is taken.
void register_model_kind(ModelKind kind);

}  // namespace occ::models
