#include "h5/model_layout.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "core/strings.h"
#include "h5/attributes.h"
#include "h5/dataset.h"

namespace occ::h5 {
namespace {

// The AdamW state train::AdamW::state() writes: "steps", then for every
// trainable parameter "exp_avg/<name>" and "exp_avg_sq/<name>", where <name>
// is the dotted state-dict name and the parameter lives at
// /weights/<name with '.' as '/'>.
const char* const kMoments[] = {"exp_avg", "exp_avg_sq"};

std::string weights_path(std::string name) {
  std::replace(name.begin(), name.end(), '.', '/');
  return "/weights/" + name;
}

}  // namespace

std::vector<std::string> check_model_layout(const File& file) {
  std::vector<std::string> problems;
  std::vector<std::string> state;
  for (const std::string& path : file.dataset_paths()) {
    if (path.rfind("/optimizer/", 0) == 0) state.push_back(path);
  }
  if (state.empty()) return problems;

  if (!file.is_dataset("/optimizer/steps")) {
    problems.push_back("dataset '/optimizer/steps' is missing: the optimiser state has no update count");
  } else {
    const DatasetInfo info = dataset_info(file, "/optimizer/steps");
    if (info.dtype != DType::int64 || element_count(info.shape) != 1) {
      problems.push_back(str("dataset '/optimizer/steps' is ", info.dtype_text, " ", shape_text(info.shape),
                             ", expected one int64"));
    } else {
      const int64_t steps = read<int64_t>(file, "/optimizer/steps").values.at(0);
      const int64_t step = has_attribute(file, "/", "step") ? read_int_attribute(file, "/", "step") : steps;
      if (steps < 0 || steps > step) {
        problems.push_back(str("dataset '/optimizer/steps' holds ", steps,
                               " updates, but the model's 'step' attribute is ", step));
      }
    }
  }
  if (!file.is_dataset("/rng/cpu")) {
    problems.push_back("dataset '/rng/cpu' is missing: the file has optimiser state but no generator state");
  }

  // Parameter name -> (moment -> dataset path).
  std::map<std::string, std::map<std::string, std::string>> moments;
  for (const std::string& path : state) {
    const std::string relative = path.substr(std::string("/optimizer/").size());
    if (relative == "steps") continue;
    const size_t slash = relative.find('/');
    const std::string moment = relative.substr(0, slash);
    if (slash == std::string::npos ||
        std::none_of(std::begin(kMoments), std::end(kMoments), [&](const char* m) { return moment == m; })) {
      problems.push_back(str("dataset ", quoted(path),
                             " is not AdamW state (steps, exp_avg/<parameter>, "
                             "exp_avg_sq/<parameter>)"));
      continue;
    }
    moments[relative.substr(slash + 1)][moment] = path;
  }
  for (const auto& [name, stored] : moments) {
    for (const char* moment : kMoments) {
      if (stored.count(moment) == 0) {
        problems.push_back(str("dataset ", quoted(str("/optimizer/", moment, "/", name)),
                               " is missing: parameter ", quoted(name),
                               " has only one of its two AdamW moments"));
      }
    }
    const std::string parameter = weights_path(name);
    if (!file.is_dataset(parameter)) {
      problems.push_back(str("optimiser state for ", quoted(name), " names no parameter (", quoted(parameter),
                             " is missing)"));
      continue;
    }
    const DatasetInfo weights = dataset_info(file, parameter);
    for (const auto& [moment, path] : stored) {
      const DatasetInfo info = dataset_info(file, path);
      if (info.shape != weights.shape) {
        problems.push_back(str("dataset ", quoted(path), " has shape ", shape_text(info.shape),
                               ", but parameter ", quoted(parameter), " has shape ",
                               shape_text(weights.shape)));
      }
      if (info.dtype != DType::float32 && info.dtype != DType::float64) {
        problems.push_back(
            str("dataset ", quoted(path), " has dtype ", info.dtype_text, ", expected float32"));
      }
    }
  }
  return problems;
}

}  // namespace occ::h5
