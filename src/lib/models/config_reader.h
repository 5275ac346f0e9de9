#pragma once
// Typed, range-checked reads of a model's flat JSON configuration section;
// every error is a UsageError naming the key as the user writes it
// ("model.<key>", the --set spelling).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace occ::models::config {

std::string key_name(const std::string& key);  // 'model.<key>'
const nlohmann::json& require(const nlohmann::json& config, const std::string& key);
int64_t read_integer(const nlohmann::json& config, const std::string& key, int64_t min_value);
double read_number(const nlohmann::json& config, const std::string& key, double min_value, double max_value);
bool read_bool(const nlohmann::json& config, const std::string& key);
std::string read_string(const nlohmann::json& config, const std::string& key);
std::vector<int64_t> read_integers(const nlohmann::json& config, const std::string& key, int64_t min_value);
// The ResNet keys every camera model shares (backbone_depth 18/34/50/101,
// backbone_out_indices increasing among 0..3, backbone_frozen_stages -1..4,
// backbone_norm_eval), read and checked once for all kinds.
struct BackboneKeys {
  int depth = 50;
  std::vector<int> out_indices;
  int frozen_stages = 1;
  bool norm_eval = true;
};
BackboneKeys read_backbone_keys(const nlohmann::json& config);
// model.num_levels: the FPN's outputs, at least one per backbone out index.
int64_t read_num_levels(const nlohmann::json& config, const BackboneKeys& backbone);
// Throws unless `value` (of `key`) is divisible by `divisor` (of `divisor_key`):
// attention heads must split the channels evenly.
void require_divisible(int64_t value, const std::string& key, int64_t divisor,
                       const std::string& divisor_key);
// Throws naming the first key of `config` that `known` lacks.
void reject_unknown_keys(const nlohmann::json& config, const nlohmann::json& known);

}  // namespace occ::models::config
