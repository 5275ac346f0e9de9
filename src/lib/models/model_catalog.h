#pragma once
// The torch-free description of the model kinds (`occ train --model NAME`):
// what `occ train` and `occ predict` declare as options (the kinds' names,
// their command-line shorthands and extra outputs) and the help text of
// each. It lives in its own small library (occ_model_catalog) so that the
// occ executable declares those options without LibTorch
// (docs/startup.md); the registry (models/registry.h, in occ_torch) adds
// each kind's builders and takes everything described here from this table,
// so a kind is described once, in model_catalog.cpp.
#include <functional>
#include <string>
#include <vector>

#include "h5/dtype.h"

namespace occ::models {

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

struct KindDescription {
  std::string name;
  std::string summary;
  std::vector<ExtraOutput> extra_outputs;
  std::vector<TrainSwitch> switches;
  std::string switches_title;  // the option group's title in occ train --help
};

// Every described kind, in the order `occ train --help` lists them.
const std::vector<KindDescription>& model_catalog();
// Throws UsageError listing the described kinds.
const KindDescription& find_kind_description(const std::string& name);
// Adds a kind's description (kinds that live outside the library, such as
// the test-only kind of the conformance tests; models::register_model_kind
// calls it). Throws UsageError when the name is taken.
void describe_model_kind(KindDescription description);

}  // namespace occ::models
