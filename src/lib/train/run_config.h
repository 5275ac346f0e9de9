#pragma once
// The complete configuration of a training run: {"model": the kind's section
// for a size preset, "data": ..., "train": ...}, then a TOML file (--config)
// and --set assignments on top, each checked against the defaults.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/batch.h"

namespace occ::train {

struct ConfigRequest {
  std::string model_kind = "baseline";
  std::string size;  // empty: the kind's first (default) preset
  std::string config_file;
  std::vector<std::string> assignments;
};

// Throws UsageError naming the kind, size or key that is wrong.
nlohmann::json resolve_run_config(const ConfigRequest& request, const models::GridSpec& grid);

// Resuming: the stored configuration with --set assignments applied. Only the
// train and data sections may change (e.g. more steps); a changed model
// section is a UsageError naming the first key that differs.
nlohmann::json resume_run_config(const nlohmann::json& stored, const std::vector<std::string>& assignments,
                                 const std::string& config_file);

}  // namespace occ::train
