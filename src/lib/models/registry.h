#pragma once
// The table of model kinds (`occ train --model NAME`). A kind declares what
// it reads besides frames, how it is supervised and validated, what it
// predicts, its size presets and how to build it; its name, summary,
// command-line shorthands and extra outputs are its torch-free description
// (models/model_catalog.h), which the occ executable reads to declare
// train's and predict's options. The trainer, `occ predict` and src/cmd only
// use these tables and the OccupancyModel interface, so adding a model is its
// own folder, one description in model_catalog.cpp and one builder entry in
// registry.cpp.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/batch.h"
#include "models/model_catalog.h"
#include "models/model_inputs.h"

namespace occ::models {

class OccupancyModel;

// Which frames a kind trains on.
enum class Supervision {
  semantic,         // keyframes with 3D targets (/occupancy/semantics)
  self_supervised,  // keyframes with at least one neighbour (ModelInputs::neighbour_offsets); no 3D labels
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

// A described kind (name, summary, extra outputs, switches: copied from
// model_catalog(), never written here) with what builds and runs it.
struct ModelKind : KindDescription {
  ModelKind() = default;
  explicit ModelKind(KindDescription description) : KindDescription(std::move(description)) {}

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
  // --set assignments that shrink the last size preset to the smallest model
  // that still runs every part: for the conformance tests and smoke runs.
  std::vector<std::string> tiny_settings;
};

const std::vector<ModelKind>& model_kinds();
// Throws UsageError listing the known kinds.
const ModelKind& find_model_kind(const std::string& name);
// Adds a kind to the table and its description to model_catalog() (for
// kinds that live outside the library, such as the test-only kind of the
// conformance tests). Throws UsageError when the name is taken.
void register_model_kind(ModelKind kind);

}  // namespace occ::models
