#include "train/model_file.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <set>

#include "core/config_tree.h"
#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "models/occupancy_model.h"
#include "models/registry.h"
#include "train/adamw.h"
#include "train/tensor_io.h"
#include "train/train_settings.h"

namespace occ::train {
namespace {

std::string slashes(std::string name) {
  std::replace(name.begin(), name.end(), '.', '/');
  return name;
}

// Every parameter and buffer of the model by its state-dict name.
std::vector<std::pair<std::string, at::Tensor>> model_state(models::OccupancyModel& model) {
  std::vector<std::pair<std::string, at::Tensor>> state;
  for (const auto& item : model.named_parameters(/*recurse=*/true))
    state.emplace_back(item.key(), item.value());
  for (const auto& item : model.named_buffers(/*recurse=*/true)) state.emplace_back(item.key(), item.value());
  return state;
}

// Dataset paths below `group` ("/weights"), relative to it, sorted.
std::vector<std::string> datasets_under(const h5::File& file, const std::string& group) {
  std::vector<std::string> out;
  const std::string prefix = group + "/";
  for (const std::string& path : file.dataset_paths()) {
    if (path.rfind(prefix, 0) == 0) out.push_back(path.substr(prefix.size()));
  }
  return out;
}

// A file written before a configuration key existed lacks it; such a key
// takes its default, which by the rule for new keys is the behaviour from
// before the key existed, so the file builds the model it was trained as.
// The user is told which keys were filled. Keys the file has and this
// version does not know are left for the model to refuse.
void fill_keys_added_since(const std::string& path, const models::ModelKind& kind,
                           ModelFileContents& contents) {
  nlohmann::json& config = contents.config;
  std::vector<std::string> added;
  const std::string size = config.value("size", std::string());
  // A size this version does not know has no defaults to fill from: the
  // stored section is used as it is (the model names what it lacks).
  if (std::find(kind.sizes.begin(), kind.sizes.end(), size) != kind.sizes.end()) {
    added = fill_missing_keys(config["model"], kind.default_config(size, contents.grid), "model");
  }
  for (const auto& [section, defaults] :
       {std::pair{"data", default_data_section()}, std::pair{"train", default_train_section()}}) {
    if (!config.contains(section)) continue;
    const auto more = fill_missing_keys(config[section], defaults, section);
    added.insert(added.end(), more.begin(), more.end());
  }
  if (!added.empty()) {
    log::warning_line(str(quoted(path),
                          " was written before these configuration keys existed; they take their ",
                          "defaults: ", join(added, ", ")));
  }
}

}  // namespace

void save_model_file(const std::string& path, const ModelFileContents& contents,
                     models::OccupancyModel& model, const AdamW* optimizer, const at::Tensor& rng_state,
                     const nlohmann::json& provenance) {
  h5::OutputArtifact out(path, "model", provenance);
  h5::File& file = out.file();
  h5::write_attribute(file, "/", "model", contents.model_kind);
  h5::write_attribute(file, "/", "config", contents.config.dump());
  h5::write_attribute(file, "/", "step", contents.step);
  if (!contents.frames_uuid.empty()) h5::write_attribute(file, "/", "frames_uuid", contents.frames_uuid);
  const auto& grid = contents.grid;
  h5::write_attribute(file, "/", "grid_shape", std::vector<int64_t>(grid.shape.begin(), grid.shape.end()));
  h5::write_attribute(file, "/", "grid_origin_m",
                      std::vector<double>(grid.origin_m.begin(), grid.origin_m.end()));
  h5::write_attribute(file, "/", "voxel_size_m",
                      std::vector<double>(grid.voxel_size_m.begin(), grid.voxel_size_m.end()));
  h5::write_attribute(file, "/", "num_classes", grid.num_classes);
  h5::write_attribute(file, "/", "free_class", grid.free_class);
  for (const auto& [name, tensor] : model_state(model))
    write_tensor(file, "/weights/" + slashes(name), tensor);
  if (optimizer != nullptr) {
    for (const auto& [name, tensor] : optimizer->state()) write_tensor(file, "/optimizer/" + name, tensor);
  }
  if (rng_state.defined()) write_tensor(file, "/rng/cpu", rng_state);
  for (const auto& [column, values] : contents.log) {
    h5::write(file, "/log/" + column, values, {static_cast<int64_t>(values.size())});
  }
  out.commit();
}

LoadedModel load_model_file(const std::string& path) {
  const h5::File file = h5::open_artifact(path, "model");
  LoadedModel loaded;
  ModelFileContents& contents = loaded.contents;
  contents.model_kind = h5::read_string_attribute(file, "/", "model");
  contents.uuid = h5::read_string_attribute(file, "/", "uuid");
  const std::string config_text = h5::read_string_attribute(file, "/", "config");
  contents.config = nlohmann::json::parse(config_text, nullptr, /*allow_exceptions=*/false);
  if (contents.config.is_discarded() || !contents.config.contains("model")) {
    throw FormatError(str(quoted(path), ": attribute 'config' is not a model configuration"));
  }
  contents.step = h5::read_int_attribute(file, "/", "step");
  if (h5::has_attribute(file, "/", "frames_uuid")) {
    contents.frames_uuid = h5::read_string_attribute(file, "/", "frames_uuid");
  }
  for (const char* key : {"grid_shape", "grid_origin_m", "voxel_size_m", "num_classes", "free_class"}) {
    if (!h5::has_attribute(file, "/", key)) {
      throw FormatError(str(quoted(path), " has no ", quoted(key), " attribute: not written by occ train"));
    }
  }
  const auto shape = h5::read_int_list_attribute(file, "/", "grid_shape");
  const auto origin = h5::read_float_list_attribute(file, "/", "grid_origin_m");
  const auto voxel = h5::read_float_list_attribute(file, "/", "voxel_size_m");
  if (shape.size() != 3 || origin.size() != 3 || voxel.size() != 3) {
    throw FormatError(str(quoted(path), ": the grid attributes need 3 values each"));
  }
  for (int axis = 0; axis < 3; ++axis) {
    contents.grid.shape[axis] = shape[axis];
    contents.grid.origin_m[axis] = origin[axis];
    contents.grid.voxel_size_m[axis] = voxel[axis];
  }
  contents.grid.num_classes = h5::read_int_attribute(file, "/", "num_classes");
  contents.grid.free_class = h5::read_int_attribute(file, "/", "free_class");
  for (const std::string& column : datasets_under(file, "/log")) {
    contents.log[column] = h5::read<double>(file, "/log/" + column).values;
  }

  const models::ModelKind& kind = models::find_model_kind(contents.model_kind);
  fill_keys_added_since(path, kind, contents);
  loaded.model = kind.create(contents.config.at("model"), contents.grid);

  const std::vector<std::string> stored = datasets_under(file, "/weights");
  std::set<std::string> unused(stored.begin(), stored.end());
  c10::NoGradGuard no_grad;
  for (auto& [name, tensor] : model_state(*loaded.model)) {
    const std::string key = slashes(name);
    if (unused.erase(key) == 0) {
      throw FormatError(str(quoted(path), ": no weights for ", quoted(name), " (a ", contents.model_kind,
                            " model with another configuration?)"));
    }
    const at::Tensor value = read_tensor(file, "/weights/" + key);
    if (value.sizes() != tensor.sizes()) {
      throw FormatError(occ::str(quoted(path), ": weights ", quoted(name), " have shape ", value.sizes(),
                                 ", the model expects ", tensor.sizes()));
    }
    tensor.copy_(value.to(tensor.options()));
  }
  if (!unused.empty()) {
    throw FormatError(str(quoted(path), ": weights the ", contents.model_kind, " model does not have: ",
                          join(std::vector<std::string>(unused.begin(), unused.end()), ", ")));
  }
  return loaded;
}

WarmStart init_from_model_file(const std::string& path, models::OccupancyModel& model, bool strict) {
  const h5::File file = h5::open_artifact(path, "model");
  const std::vector<std::string> stored = datasets_under(file, "/weights");
  std::set<std::string> unused(stored.begin(), stored.end());
  WarmStart report;
  c10::NoGradGuard no_grad;
  for (auto& [name, tensor] : model_state(model)) {
    const std::string key = slashes(name);
    if (unused.erase(key) == 0) {
      report.missing.push_back(name);
      continue;
    }
    const at::Tensor value = read_tensor(file, "/weights/" + key);
    if (value.sizes() != tensor.sizes()) {
      report.mismatched.push_back(occ::str(name, " (file ", value.sizes(), ", model ", tensor.sizes(), ")"));
      continue;
    }
    tensor.copy_(value.to(tensor.options()));
    ++report.loaded;
  }
  for (const std::string& key : unused) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '/', '.');
    report.unexpected.push_back(name);
  }
  if (strict && (!report.missing.empty() || !report.unexpected.empty() || !report.mismatched.empty())) {
    const auto first = [](const std::vector<std::string>& names) {
      return names.empty() ? std::string("none") : names.front() + (names.size() > 1 ? ", ..." : "");
    };
    throw FormatError(str("--init-strict: ", quoted(path), " does not fit the model: ", report.missing.size(),
                          " missing (", first(report.missing), "), ", report.unexpected.size(),
                          " unexpected (", first(report.unexpected), "), ", report.mismatched.size(),
                          " of another shape (", first(report.mismatched), ")"));
  }
  return report;
}

void load_training_state(const std::string& path, AdamW& optimizer, at::Tensor& rng_state) {
  const h5::File file = h5::open_artifact(path, "model");
  const std::vector<std::string> names = datasets_under(file, "/optimizer");
  if (names.empty() || !file.is_dataset("/rng/cpu")) {
    throw FormatError(str(quoted(path), " holds no optimiser state: it cannot be resumed"));
  }
  std::vector<std::pair<std::string, at::Tensor>> state;
  for (const std::string& name : names) state.emplace_back(name, read_tensor(file, "/optimizer/" + name));
  optimizer.load_state(state, quoted(path));
  rng_state = read_tensor(file, "/rng/cpu");
}

}  // namespace occ::train
