#pragma once
// Configuration trees: a complete set of defaults as JSON, overridden by a
// TOML file (`--config`) and by `--set key=value` assignments. Every override
// must name a key that exists in the defaults and keep its type, so a typo is
// an error instead of a silently ignored setting.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace occ {

// Reads a TOML file into JSON (tables -> objects, arrays -> arrays). Throws
// IoError when it cannot be read and UsageError with the parser's line and
// column when it is not valid TOML.
nlohmann::json read_toml_file(const std::string& path);

// Applies `overrides` onto `config` key by key. Objects merge recursively;
// any other value replaces the default. Throws UsageError naming the dotted
// key (prefixed by `source`, e.g. the file) when a key is unknown or a value
// has another type than its default (integers are accepted for floats; an
// array must hold the default's element type).
void overlay_config(nlohmann::json& config, const nlohmann::json& overrides, const std::string& source);

// Applies one "dotted.key=value" assignment. The value is read as JSON when
// it parses as JSON (numbers, true/false, [1, 2], "text"), else as a plain
// string. Throws UsageError as overlay_config does.
void apply_assignment(nlohmann::json& config, const std::string& assignment);

// Adds to `config` every key of `defaults` it lacks (tables recursively) and
// returns the dotted names added, prefixed by `prefix`, in the defaults'
// order. Keys `config` already has keep their values. For configurations
// stored before a key existed (model files): a new key's default is the
// behaviour from before the key, so the stored configuration reads as it did.
std::vector<std::string> fill_missing_keys(nlohmann::json& config, const nlohmann::json& defaults,
                                           const std::string& prefix = "");

// The value at a dotted key, or throws UsageError naming it.
const nlohmann::json& config_at(const nlohmann::json& config, const std::string& dotted_key);

}  // namespace occ
