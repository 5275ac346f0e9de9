#include "nn/state_dict.h"

#include <torch/nn/module.h>
#include <torch/serialize.h>

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "core/error.h"

namespace occ::nn {
namespace {

std::string shape_text(at::IntArrayRef sizes) {
  std::ostringstream text;
  text << '[';
  for (size_t i = 0; i < sizes.size(); ++i) text << (i ? ", " : "") << sizes[i];
  text << ']';
  return text.str();
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// At most a handful of names in a message; the count says how many there are.
std::string name_list(const std::vector<std::string>& names) {
  constexpr size_t kShown = 8;
  std::string text;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) text += (i ? ", " : "") + quoted(names[i]);
  if (names.size() > kShown) text += ", ... (" + std::to_string(names.size()) + " in all)";
  return text;
}

NamedTensors tensors_of(const c10::impl::GenericDict& dict, const std::string& path) {
  NamedTensors entries;
  for (const auto& item : dict) {
    if (!item.key().isString())
      throw FormatError("state dict " + quoted(path) + " has a key that is not a string");
    const std::string name = item.key().toStringRef();
    if (!item.value().isTensor())
      throw FormatError("state dict " + quoted(path) + " entry " + quoted(name) + " is not a tensor");
    entries.emplace_back(name, item.value().toTensor());
  }
  return entries;
}

}  // namespace

NamedTensors read_state_dict(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw IoError("cannot open state dict " + quoted(path));
  std::vector<char> bytes((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  if (stream.bad()) throw IoError("cannot read state dict " + quoted(path));

  c10::IValue value;
  try {
    value = torch::pickle_load(bytes);
  } catch (const c10::Error& error) {
    // Keep the first line only: LibTorch appends a C++ backtrace.
    std::string reason = error.what_without_backtrace();
    reason = reason.substr(0, reason.find('\n'));
    throw FormatError("cannot read state dict " + quoted(path) + ": not a torch.save file (" + reason + ")");
  }
  if (!value.isGenericDict()) throw FormatError("state dict " + quoted(path) + " does not hold a dict");
  auto dict = value.toGenericDict();
  // A training checkpoint wraps the state dict.
  for (const char* wrapper : {"state_dict", "model"}) {
    const c10::IValue key(std::string{wrapper});
    if (dict.contains(key) && dict.at(key).isGenericDict())
      return tensors_of(dict.at(key).toGenericDict(), path);
  }
  return tensors_of(dict, path);
}

StateDictLoadResult load_state_dict(torch::nn::Module& module, const NamedTensors& entries,
                                    const StateDictLoadOptions& options, const std::string& source) {
  std::map<std::string, at::Tensor> targets;
  for (const auto& item : module.named_parameters(/*recurse=*/true))
    targets.emplace(item.key(), item.value());
  for (const auto& item : module.named_buffers(/*recurse=*/true)) targets.emplace(item.key(), item.value());

  StateDictLoadResult result;
  std::map<std::string, const at::Tensor*> chosen;
  for (const auto& [file_name, tensor] : entries) {
    if (!starts_with(file_name, options.source_prefix)) continue;
    const std::string name = file_name.substr(options.source_prefix.size());
    bool ignored = false;
    for (const auto& prefix : options.ignored_prefixes) ignored = ignored || starts_with(name, prefix);
    if (ignored) continue;
    if (targets.count(name) == 0) {
      result.unexpected.push_back(name);
      continue;
    }
    const auto& target = targets.at(name);
    if (target.sizes() != tensor.sizes())
      throw FormatError(source + " parameter " + quoted(name) + " has shape " + shape_text(tensor.sizes()) +
                        " but the model expects " + shape_text(target.sizes()));
    chosen[name] = &tensor;
  }
  for (const auto& [name, target] : targets)
    if (chosen.count(name) == 0) result.missing.push_back(name);

  if (options.strict && !result.missing.empty())
    throw FormatError(source + " lacks " + std::to_string(result.missing.size()) +
                      " model parameter(s): " + name_list(result.missing));
  if (options.strict && !result.unexpected.empty())
    throw FormatError(source + " has " + std::to_string(result.unexpected.size()) +
                      " entry(ies) the model does not have: " + name_list(result.unexpected));

  // Copy only after every check passed, so a failed load leaves the module as
  // it was.
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : chosen) {
    targets.at(name).copy_(*tensor);
    result.loaded.push_back(name);
  }
  return result;
}

StateDictLoadResult load_state_dict_file(torch::nn::Module& module, const std::string& path,
                                         const StateDictLoadOptions& options) {
  return load_state_dict(module, read_state_dict(path), options, "state dict " + quoted(path));
}

}  // namespace occ::nn
