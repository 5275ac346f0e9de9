#include "models/config_reader.h"

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

void reject_unknown_keys(const json& config, const json& known) {
  if (!config.is_object())
    throw UsageError("the model configuration must be a JSON object, got " + config.dump());
  for (const auto& item : config.items())
    if (!known.contains(item.key()))
      throw UsageError("unknown model configuration key " + key_name(item.key()));
}

}  // namespace occ::models::config
