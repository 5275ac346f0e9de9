#include "models/config_reader.h"

#include <algorithm>

#include "core/error.h"

namespace occ::models::config {

using nlohmann::json;

std::string key_name(const std::string& key) {
  return quoted("model." + key);
}

const json& require(const json& config, const std::string& key) {
  const auto found = config.find(key);
  if (found == config.end()) throw UsageError("model configuration lacks " + key_name(key));
  return *found;
}

int64_t read_integer(const json& config, const std::string& key, int64_t min_value) {
  const json& value = require(config, key);
  if (!value.is_number_integer())
    throw UsageError(key_name(key) + " must be an integer, got " + value.dump());
  const auto number = value.get<int64_t>();
  if (number < min_value)
    throw UsageError(key_name(key) + " must be at least " + std::to_string(min_value) + ", got " +
                     std::to_string(number));
  return number;
}

double read_number(const json& config, const std::string& key, double min_value, double max_value) {
  const json& value = require(config, key);
  if (!value.is_number()) throw UsageError(key_name(key) + " must be a number, got " + value.dump());
  const auto number = value.get<double>();
  if (!(number >= min_value && number <= max_value))
    throw UsageError(key_name(key) + " must lie in [" + json(min_value).dump() + ", " +
                     json(max_value).dump() + "], got " + value.dump());
  return number;
}

bool read_bool(const json& config, const std::string& key) {
  const json& value = require(config, key);
  if (!value.is_boolean()) throw UsageError(key_name(key) + " must be true or false, got " + value.dump());
  return value.get<bool>();
}

std::string read_string(const json& config, const std::string& key) {
  const json& value = require(config, key);
  if (!value.is_string()) throw UsageError(key_name(key) + " must be a string, got " + value.dump());
  return value.get<std::string>();
}

std::vector<int64_t> read_integers(const json& config, const std::string& key, int64_t min_value) {
  const json& value = require(config, key);
  const auto fail = [&] {
    throw UsageError(key_name(key) + " must be a list of integers >= " + std::to_string(min_value) +
                     ", got " + value.dump());
  };
  if (!value.is_array()) fail();
  std::vector<int64_t> numbers;
  for (const json& item : value) {
    if (!item.is_number_integer() || item.get<int64_t>() < min_value) fail();
    numbers.push_back(item.get<int64_t>());
  }
  return numbers;
}

int64_t read_num_levels(const nlohmann::json& config, const BackboneKeys& backbone) {
  const int64_t levels = read_integer(config, "num_levels", 1);
  if (levels < static_cast<int64_t>(backbone.out_indices.size()))
    throw UsageError(key_name("num_levels") + " (" + std::to_string(levels) +
                     " FPN outputs) must be at least the number of " + key_name("backbone_out_indices") +
                     " (" + std::to_string(backbone.out_indices.size()) + ")");
  return levels;
}

void require_divisible(int64_t value, const std::string& key, int64_t divisor,
                       const std::string& divisor_key) {
  if (value % divisor != 0)
    throw UsageError(key_name(key) + " " + std::to_string(value) + " is not divisible by " +
                     key_name(divisor_key) + " " + std::to_string(divisor));
}

void reject_unknown_keys(const json& config, const json& known) {
  if (!config.is_object())
    throw UsageError("the model configuration must be a JSON object, got " + config.dump());
  for (const auto& item : config.items())
    if (!known.contains(item.key()))
      throw UsageError("unknown model configuration key " + key_name(item.key()));
}

const std::vector<std::string>& backbone_names() {
  static const std::vector<std::string> names = {"resnet", "convnext_tiny", "convnext_small",
                                                 "convnext_base"};
  return names;
}

BackboneKeys read_backbone_keys(const nlohmann::json& config) {
  BackboneKeys keys;
  keys.name = read_string(config, "backbone");
  const auto& names = backbone_names();
  if (std::find(names.begin(), names.end(), keys.name) == names.end())
    throw UsageError(key_name("backbone") +
                     " must be resnet, convnext_tiny, convnext_small or convnext_base, got " +
                     quoted(keys.name));
  keys.depth = static_cast<int>(read_integer(config, "backbone_depth", 18));
  if (keys.depth != 18 && keys.depth != 34 && keys.depth != 50 && keys.depth != 101)
    throw UsageError(key_name("backbone_depth") + " must be 18, 34, 50 or 101, got " +
                     std::to_string(keys.depth));
  const auto out_indices = read_integers(config, "backbone_out_indices", 0);
  if (out_indices.empty() || !std::is_sorted(out_indices.begin(), out_indices.end()) ||
      std::adjacent_find(out_indices.begin(), out_indices.end()) != out_indices.end() ||
      out_indices.back() > 3)
    throw UsageError(key_name("backbone_out_indices") + " must list increasing stages among 0..3, got " +
                     require(config, "backbone_out_indices").dump());
  keys.out_indices.assign(out_indices.begin(), out_indices.end());
  keys.frozen_stages = static_cast<int>(read_integer(config, "backbone_frozen_stages", -1));
  if (keys.frozen_stages > 4)
    throw UsageError(key_name("backbone_frozen_stages") + " must lie in -1..4, got " +
                     std::to_string(keys.frozen_stages));
  keys.norm_eval = read_bool(config, "backbone_norm_eval");
  keys.drop_path = read_number(config, "backbone_drop_path", 0.0, 0.999);
  keys.norm_out = read_bool(config, "backbone_norm_out");
  if (keys.name == "resnet" && keys.drop_path != 0.0)
    throw UsageError(key_name("backbone_drop_path") + " is ConvNeXt's stochastic depth; " +
                     key_name("backbone") + " resnet has none: leave it 0");
  if (keys.name == "resnet" && keys.norm_out)
    throw UsageError(key_name("backbone_norm_out") + " adds ConvNeXt's output LayerNorms; " +
                     key_name("backbone") + " resnet has none: leave it false");
  return keys;
}

}  // namespace occ::models::config
