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
// The image-backbone keys every camera model shares, read and checked once
// for all kinds: backbone (resnet, convnext_tiny, convnext_small,
// convnext_base), backbone_depth (the ResNet's: 18/34/50/101),
// backbone_out_indices (increasing among 0..3), backbone_frozen_stages
// (-1..4), backbone_norm_eval (ResNet batch norm; ConvNeXt has none),
// backbone_drop_path (ConvNeXt stochastic depth, [0, 1); 0 for a ResNet) and
// backbone_norm_out (ConvNeXt output LayerNorms; false for a ResNet).
struct BackboneKeys {
  std::string name = "resnet";
  int depth = 50;
  std::vector<int> out_indices;
  int frozen_stages = 1;
  bool norm_eval = true;
  double drop_path = 0.0;
  bool norm_out = false;
};
// The backbone names model.backbone accepts.
const std::vector<std::string>& backbone_names();
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
