#pragma once
// The loss keys of Let Occ Flow's self-supervised objective ("loss.<name>" in
// the flat model section) with the reference defaults. Sources: LOF configs
// and paper (Liu et al., CoRL 2024, Eq. 8-12) as summarised in
// ../shared/reference/letoccflow.md ("Losses and weights"), and SelfOcc's
// losses (huang-yh/SelfOcc loss/) where LOF keeps them. CHOSEN marks our
// reading where neither says.
#include <nlohmann/json.hpp>

namespace occ::losses {

struct LossConfig {
  // Photometric reprojection (Eq. 8; SelfOcc ReprojLossMonoMultiNew).
  double photometric_weight = 1.0;        // loss.photometric_weight (Eq. 12: weight 1)
  double photometric_l1_weight = 0.15;    // loss.photometric_l1_weight
  double photometric_ssim_weight = 0.85;  // loss.photometric_ssim_weight
  double photometric_invalid_loss = 1e3;  // loss.photometric_invalid_loss: rays without a valid projection
  bool photometric_automask = true;       // loss.photometric_automask: min with identity reprojection
  // Optical-flow loss (Eq. 9, 11).
  double flow_weight = 0.005;               // loss.flow_weight (l_flow)
  double flow_min_sample_weight = 2e-3;     // loss.flow_min_sample_weight: samples kept (renormalised)
  double flow_outlier_median_factor = 100;  // loss.flow_outlier_median_factor: drop rays >= k x median
  double flow_outlier_max = 1e3;            // loss.flow_outlier_max: drop rays >= this (pixels)
  double flow_outlier_floor_px = 1.0;       // loss.flow_outlier_floor_px: never drop rays under this (CHOSEN)
  double flow_dynamic_weight_max = 20;      // loss.flow_dynamic_weight_max: dynamic x min(N_all/N_dyn, this)
  bool flow_detach_dynamic_weights =
      true;  // loss.flow_detach_dynamic_weights: SDF weights detached on dynamic rays
  // Dynamic disentanglement (Eq. 10) and flow regularisation (l_dreg).
  double dynamic_threshold_px = 8.0;     // loss.dynamic_threshold_px: EPE to the static flow ...
  double dynamic_threshold_width = 704;  // loss.dynamic_threshold_width: ... in pixels of this width, scaled
                                         // to the network input's (0: as given; occ flow-labels' rule)
  double dreg_weight = 0.1;              // loss.dreg_weight
  double dreg_sample_weight = 0.2;       // loss.dreg_sample_weight: x mean |sample flow| ...
  double dreg_max_render_weight = 1e-3;  // loss.dreg_max_render_weight: ... where weight < this
  // SDF regularisers.
  double eikonal_weight = 0.1;   // loss.eikonal_weight (l_eik)
  double hessian_weight = 0.05;  // loss.hessian_weight (l_H)
  // Edge-aware smoothness (l_smooth; SelfOcc EdgeLoss3DMS on disparity).
  double smooth_weight = 0.02;       // loss.smooth_weight
  double flow_smooth_weight = 0.01;  // loss.flow_smooth_weight
  // Sparsity: mean relu(-sdf).
  double sparsity_grid_weight = 0.005;    // loss.sparsity_grid_weight: on a shifted uniform grid
  double sparsity_beyond_weight = 0.01;   // loss.sparsity_beyond_weight: on samples beyond the depth ...
  double sparsity_beyond_margin_m = 3.0;  // loss.sparsity_beyond_margin_m: ... by this margin
  // LiDAR (optional; l_range of Eq. 12).
  double lidar_weight = 0.2;   // loss.lidar_weight
  double silog_lambda = 0.85;  // loss.silog_lambda: sqrt(mean d^2 - lambda (mean d)^2)

  nlohmann::json to_json() const;
  // Reads exactly these keys (render::select_keys(config, "loss.") picks them
  // out of a model section); a missing, unknown or mistyped key or a value out
  // of range throws UsageError naming it ('model.loss.flow_weight').
  static LossConfig from_json(const nlohmann::json& config);
};

// The options of the individual losses from the configuration.
struct PhotometricOptions;
struct FlowLossOptions;
PhotometricOptions photometric_options(const LossConfig& config);
FlowLossOptions flow_loss_options(const LossConfig& config);
// The dynamic-ray threshold (pixels) at an input `width` pixels wide.
double dynamic_threshold_px_at(const LossConfig& config, double width);

}  // namespace occ::losses
