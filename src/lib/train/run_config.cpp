#include "train/run_config.h"

#include <algorithm>

#include "core/config_tree.h"
#include "core/error.h"
#include "core/strings.h"
#include "models/registry.h"
#include "train/train_settings.h"

namespace occ::train {
namespace {

void apply_overrides(nlohmann::json& config, const std::string& config_file,
                     const std::vector<std::string>& assignments) {
  if (!config_file.empty()) overlay_config(config, read_toml_file(config_file), quoted(config_file));
  for (const std::string& assignment : assignments) apply_assignment(config, assignment);
}

}  // namespace

nlohmann::json resolve_run_config(const ConfigRequest& request, const models::GridSpec& grid) {
  const models::ModelKind& kind = models::find_model_kind(request.model_kind);
  const std::string size = request.size.empty() ? kind.sizes.front() : request.size;
  if (std::find(kind.sizes.begin(), kind.sizes.end(), size) == kind.sizes.end()) {
    throw UsageError(
        str("--size ", quoted(size), ": the ", kind.name, " model has sizes ", join(kind.sizes, ", ")));
  }
  nlohmann::json config = {
      {"model", kind.default_config(size, grid)},
      {"data", default_data_section()},
      {"train", default_train_section()},
  };
  apply_overrides(config, request.config_file, request.assignments);
  // Parse once now so a bad value fails before any work starts.
  parse_train_section(config["train"]);
  parse_data_section(config["data"]);
  config["size"] = size;
  return config;
}

nlohmann::json resume_run_config(const nlohmann::json& stored, const std::vector<std::string>& assignments,
                                 const std::string& config_file) {
  nlohmann::json config = stored;
  const nlohmann::json size = config.value("size", nlohmann::json("?"));
  config.erase("size");
  apply_overrides(config, config_file, assignments);
  if (config["model"] != stored["model"]) {
    const nlohmann::json patch = nlohmann::json::diff(stored["model"], config["model"]);
    throw UsageError(str("the model configuration cannot change when resuming (",
                         patch.at(0).value("path", "?"), "); start a new run instead"));
  }
  parse_train_section(config["train"]);
  parse_data_section(config["data"]);
  config["size"] = size;
  return config;
}

}  // namespace occ::train
