#include "losses/self_supervised_config.h"

#include <string>
#include <utility>
#include <vector>

#include "core/pixel_threshold.h"
#include "losses/flow_loss.h"
#include "losses/photometric_loss.h"
#include "models/config_reader.h"

namespace occ::losses {
namespace {

using nlohmann::json;

// The numeric keys with their fields and ranges, written once for both ways.
struct NumberKey {
  const char* key;
  double LossConfig::*field;
  double min_value, max_value;
};

const std::vector<NumberKey>& number_keys() {
  static const std::vector<NumberKey> keys = {
      {"loss.photometric_weight", &LossConfig::photometric_weight, 0.0, 1e6},
      {"loss.photometric_l1_weight", &LossConfig::photometric_l1_weight, 0.0, 1e6},
      {"loss.photometric_ssim_weight", &LossConfig::photometric_ssim_weight, 0.0, 1e6},
      {"loss.photometric_invalid_loss", &LossConfig::photometric_invalid_loss, 0.0, 1e12},
      {"loss.flow_weight", &LossConfig::flow_weight, 0.0, 1e6},
      {"loss.flow_min_sample_weight", &LossConfig::flow_min_sample_weight, 0.0, 1.0},
      {"loss.flow_outlier_median_factor", &LossConfig::flow_outlier_median_factor, 0.0, 1e12},
      {"loss.flow_outlier_max", &LossConfig::flow_outlier_max, 0.0, 1e12},
      {"loss.flow_outlier_floor_px", &LossConfig::flow_outlier_floor_px, 0.0, 1e12},
      {"loss.flow_dynamic_weight_max", &LossConfig::flow_dynamic_weight_max, 1.0, 1e6},
      {"loss.dynamic_threshold_px", &LossConfig::dynamic_threshold_px, 0.0, 1e6},
      {"loss.dynamic_threshold_width", &LossConfig::dynamic_threshold_width, 0.0, 1e6},
      {"loss.dreg_weight", &LossConfig::dreg_weight, 0.0, 1e6},
      {"loss.dreg_sample_weight", &LossConfig::dreg_sample_weight, 0.0, 1e6},
      {"loss.dreg_max_render_weight", &LossConfig::dreg_max_render_weight, 0.0, 1.0},
      {"loss.eikonal_weight", &LossConfig::eikonal_weight, 0.0, 1e6},
      {"loss.hessian_weight", &LossConfig::hessian_weight, 0.0, 1e6},
      {"loss.smooth_weight", &LossConfig::smooth_weight, 0.0, 1e6},
      {"loss.flow_smooth_weight", &LossConfig::flow_smooth_weight, 0.0, 1e6},
      {"loss.sparsity_grid_weight", &LossConfig::sparsity_grid_weight, 0.0, 1e6},
      {"loss.sparsity_beyond_weight", &LossConfig::sparsity_beyond_weight, 0.0, 1e6},
      {"loss.sparsity_beyond_margin_m", &LossConfig::sparsity_beyond_margin_m, 0.0, 1e6},
      {"loss.lidar_weight", &LossConfig::lidar_weight, 0.0, 1e6},
      {"loss.silog_lambda", &LossConfig::silog_lambda, 0.0, 1.0},
  };
  return keys;
}

}  // namespace

json LossConfig::to_json() const {
  json config = json::object();
  for (const NumberKey& key : number_keys()) config[key.key] = this->*key.field;
  config["loss.photometric_automask"] = photometric_automask;
  config["loss.flow_detach_dynamic_weights"] = flow_detach_dynamic_weights;
  return config;
}

LossConfig LossConfig::from_json(const json& config) {
  models::config::reject_unknown_keys(config, LossConfig().to_json());
  LossConfig parsed;
  for (const NumberKey& key : number_keys())
    parsed.*key.field = models::config::read_number(config, key.key, key.min_value, key.max_value);
  parsed.photometric_automask = models::config::read_bool(config, "loss.photometric_automask");
  parsed.flow_detach_dynamic_weights = models::config::read_bool(config, "loss.flow_detach_dynamic_weights");
  return parsed;
}

PhotometricOptions photometric_options(const LossConfig& config) {
  PhotometricOptions options;
  options.l1_weight = config.photometric_l1_weight;
  options.ssim_weight = config.photometric_ssim_weight;
  options.invalid_loss = config.photometric_invalid_loss;
  options.automask = config.photometric_automask;
  return options;
}

FlowLossOptions flow_loss_options(const LossConfig& config) {
  FlowLossOptions options;
  options.min_sample_weight = config.flow_min_sample_weight;
  options.outlier_median_factor = config.flow_outlier_median_factor;
  options.outlier_max = config.flow_outlier_max;
  options.outlier_floor = config.flow_outlier_floor_px;
  options.dynamic_weight_max = config.flow_dynamic_weight_max;
  options.detach_dynamic_weights = config.flow_detach_dynamic_weights;
  return options;
}

double dynamic_threshold_px_at(const LossConfig& config, double width) {
  return threshold_at_width(config.dynamic_threshold_px, width, config.dynamic_threshold_width);
}

}  // namespace occ::losses
