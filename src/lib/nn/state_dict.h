#pragma once
// Reading state dicts written by Python's `torch.save(model.state_dict(), f)`
// (the zip archive format of torch >= 1.6) and loading them into a LibTorch
// module by parameter/buffer name, as torch.nn.Module.load_state_dict does.
#include <ATen/core/Tensor.h>

#include <string>
#include <utility>
#include <vector>

namespace torch::nn {
class Module;
}

namespace occ::nn {

// Name -> tensor, in file order.
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// Reads a state dict file. Also accepts a training checkpoint holding the state
// dict under "state_dict" or "model" (mmcv/mmdet and many training scripts save
// {"state_dict": ..., "meta": ...}). Throws IoError when the file cannot be
// read and FormatError when it is not a pickled dict of tensors.
NamedTensors read_state_dict(const std::string& path);

struct StateDictLoadOptions {
  // Only file entries starting with this prefix are used, with the prefix
  // removed (e.g. "backbone." to take an image backbone out of a detector
  // checkpoint). Empty: every entry.
  std::string source_prefix;
  // File entries starting with any of these prefixes (after source_prefix was
  // removed) are skipped without complaint, e.g. {"fc."} for torchvision's
  // classifier head, which a backbone does not have.
  std::vector<std::string> ignored_prefixes;
  // Strict (the default, like PyTorch): any missing or unexpected name is an
  // error. Non-strict: they are reported in the result. Shape mismatches are
  // always errors.
  bool strict = true;
};

struct StateDictLoadResult {
  std::vector<std::string> loaded;
  std::vector<std::string> missing;     // in the module, not in the file
  std::vector<std::string> unexpected;  // in the file, not in the module
};

// Copies every module parameter and buffer from `entries` (no gradient is
// recorded; dtypes are converted to the module's). Throws FormatError naming
// the parameter on a shape mismatch, and listing the names when strict and
// some are missing or unexpected. `source` names the file in messages.
StateDictLoadResult load_state_dict(torch::nn::Module& module, const NamedTensors& entries,
                                    const StateDictLoadOptions& options = {},
                                    const std::string& source = "state dict");

// read_state_dict + load_state_dict.
StateDictLoadResult load_state_dict_file(torch::nn::Module& module, const std::string& path,
                                         const StateDictLoadOptions& options = {});

}  // namespace occ::nn
