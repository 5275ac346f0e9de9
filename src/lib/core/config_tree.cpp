#include "core/config_tree.h"

#include <fstream>
#include <sstream>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include "core/error.h"
#include "core/strings.h"

namespace occ {
namespace {

nlohmann::json toml_to_json(const toml::node& node) {
  if (const auto* table = node.as_table()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [key, value] : *table) object[std::string(key.str())] = toml_to_json(value);
    return object;
  }
  if (const auto* array = node.as_array()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& value : *array) list.push_back(toml_to_json(value));
    return list;
  }
  if (const auto* value = node.as_string()) return value->get();
  if (const auto* value = node.as_integer()) return value->get();
  if (const auto* value = node.as_floating_point()) return value->get();
  if (const auto* value = node.as_boolean()) return value->get();
  // Dates and times have no use in a model configuration.
  std::ostringstream where;
  where << node.source().begin;
  throw UsageError(str("unsupported TOML value (date or time) at ", where.str()));
}

std::string type_name(const nlohmann::json& value) {
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_boolean()) return "true or false";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "a list";
  if (value.is_object()) return "a table";
  return "null";
}

// Whether `value` may replace `default_value`.
bool same_kind(const nlohmann::json& default_value, const nlohmann::json& value) {
  if (default_value.is_number_float()) return value.is_number();
  if (default_value.is_number_integer()) return value.is_number_integer();
  if (default_value.is_array()) {
    if (!value.is_array()) return false;
    if (default_value.empty()) return true;
    for (const auto& element : value) {
      if (!same_kind(default_value.front(), element)) return false;
    }
    return true;
  }
  return default_value.type() == value.type();
}

void overlay(nlohmann::json& config, const nlohmann::json& overrides, const std::string& prefix,
             const std::string& source) {
  for (const auto& [key, value] : overrides.items()) {
    const std::string dotted = prefix.empty() ? key : prefix + "." + key;
    if (!config.contains(key)) {
      std::vector<std::string> known;
      for (const auto& [name, unused] : config.items()) known.push_back(name);
      throw UsageError(str(source, ": unknown configuration key ", quoted(dotted),
                           " (known here: ", join(known, ", "), ")"));
    }
    nlohmann::json& target = config[key];
    if (target.is_object()) {
      if (!value.is_object()) throw UsageError(str(source, ": ", quoted(dotted), " is a table, not a value"));
      overlay(target, value, dotted, source);
      continue;
    }
    if (!same_kind(target, value)) {
      throw UsageError(
          str(source, ": ", quoted(dotted), " must be ", type_name(target), ", not ", value.dump()));
    }
    // Floats stay floats (an integer given for a float default), so the
    // stored configuration keeps one type per key.
    const bool float_value = target.is_number_float();
    const bool float_elements = target.is_array() && !target.empty() && target.front().is_number_float();
    target = value;
    if (float_value) target = value.get<double>();
    if (float_elements) {
      for (auto& element : target) element = element.get<double>();
    }
  }
}

}  // namespace

nlohmann::json read_toml_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError(str("cannot read ", quoted(path)));
  try {
    const toml::table table = toml::parse(in, path);
    return toml_to_json(table);
  } catch (const toml::parse_error& error) {
    std::ostringstream where;
    where << error.source().begin;
    throw UsageError(str(quoted(path), ": not valid TOML at ", where.str(), ": ", error.description()));
  }
}

void overlay_config(nlohmann::json& config, const nlohmann::json& overrides, const std::string& source) {
  if (!overrides.is_object()) throw UsageError(str(source, ": the configuration must be a table"));
  overlay(config, overrides, "", source);
}

void apply_assignment(nlohmann::json& config, const std::string& assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw UsageError(str("--set ", quoted(assignment), ": expected key=value, e.g. train.lr=1e-3"));
  }
  const std::string key = assignment.substr(0, equals);
  const std::string text = assignment.substr(equals + 1);
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;
  // Build {"a": {"b": value}} from "a.b" and overlay it, so the checks and
  // messages are those of a configuration file.
  nlohmann::json nested = value;
  std::vector<std::string> parts;
  std::stringstream stream(key);
  for (std::string part; std::getline(stream, part, '.');) {
    if (part.empty()) throw UsageError(str("--set ", quoted(assignment), ": empty part in the key"));
    parts.push_back(part);
  }
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) nested = nlohmann::json{{*it, nested}};
  overlay(config, nested, "", "--set");
}

std::vector<std::string> fill_missing_keys(nlohmann::json& config, const nlohmann::json& defaults,
                                           const std::string& prefix) {
  std::vector<std::string> added;
  if (!config.is_object() || !defaults.is_object()) return added;
  for (const auto& [key, default_value] : defaults.items()) {
    const std::string dotted = prefix.empty() ? key : prefix + "." + key;
    if (!config.contains(key)) {
      config[key] = default_value;
      added.push_back(dotted);
    } else if (default_value.is_object()) {
      const auto below = fill_missing_keys(config[key], default_value, dotted);
      added.insert(added.end(), below.begin(), below.end());
    }
  }
  return added;
}

const nlohmann::json& config_at(const nlohmann::json& config, const std::string& dotted_key) {
  const nlohmann::json* node = &config;
  std::stringstream stream(dotted_key);
  for (std::string part; std::getline(stream, part, '.');) {
    if (!node->is_object() || !node->contains(part)) {
      throw UsageError(str("configuration has no key ", quoted(dotted_key)));
    }
    node = &(*node)[part];
  }
  return *node;
}

}  // namespace occ
