#pragma once
// The table of model kinds (`occ train --model NAME`). A kind declares what
// it reads besides frames, its size presets and how to build it; the trainer
// and `occ predict` only use this table and the OccupancyModel interface, so
// adding a model never touches them.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/batch.h"

namespace occ::models {

class OccupancyModel;

// Inputs a model needs beyond the frames file.
struct ModelInputs {
  bool masks = false;      // superpixel masks (occ cluster-masks), e.g. ProtoOcc
  bool flow = false;       // flow labels (occ flow-labels), e.g. Let Occ Flow
  int history_frames = 0;  // previous keyframes fed with each frame (Batch::history_*)
  int history_stride = 1;  // keyframes between two of them
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
};

const std::vector<ModelKind>& model_kinds();
// Throws UsageError listing the known kinds.
const ModelKind& find_model_kind(const std::string& name);

}  // namespace occ::models
