#pragma once
// The rendering keys of a Let Occ Flow-style model configuration
// ("render.<name>" in the flat model section), with the reference defaults.
// from_json reads exactly these keys: a model that embeds them passes the
// "render." subset (select_keys) and reports the rest itself.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace occ::render {

struct RenderConfig {
  // render.ray_rows / render.ray_cols: the ray grid per camera (LOF nuScenes
  // config: 32x88 on 256x704 renders; KITTI 44x152).
  int64_t ray_rows = 32;
  int64_t ray_cols = 88;
  // render.samples: stratified samples per ray (LOF/SelfOcc num_samples 256).
  int64_t samples = 256;
  // render.inv_s_init / render.inv_s_scale: inv_s = exp(scale v), v = init
  // (NeuS SingleVarianceNetwork; LOF beta_init 0.1, scale 10).
  double inv_s_init = 0.1;
  double inv_s_scale = 10.0;
  // render.cos_anneal_steps: r = min(1, step / steps) (sdfstudio NeuS
  // cos_anneal_end 5000; 0 = no annealing).
  int64_t cos_anneal_steps = 5000;
  // render.lidar_rays: rendered LiDAR rays per sample for the SILog term
  // (LOF nuScenes: 4096).
  int64_t lidar_rays = 4096;
  // render.fused: the fused CPU kernel (true) or the LibTorch reference
  // (false; the only choice off CPU until a CUDA kernel exists). CHOSEN.
  bool fused = true;

  nlohmann::json to_json() const;
  // A missing, unknown or mistyped key or a value out of range throws
  // UsageError naming it ('model.render.samples').
  static RenderConfig from_json(const nlohmann::json& config);
};

// The keys of `config` that start with `prefix` ("render." or "loss."), as
// an object: what RenderConfig / LossConfig::from_json read.
nlohmann::json select_keys(const nlohmann::json& config, const std::string& prefix);

}  // namespace occ::render
