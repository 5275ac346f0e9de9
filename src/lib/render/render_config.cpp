#include "render/render_config.h"

#include "core/error.h"
#include "models/config_reader.h"

namespace occ::render {

using nlohmann::json;

json RenderConfig::to_json() const {
  return json{{"render.ray_rows", ray_rows},       {"render.ray_cols", ray_cols},
              {"render.samples", samples},         {"render.inv_s_init", inv_s_init},
              {"render.inv_s_scale", inv_s_scale}, {"render.cos_anneal_steps", cos_anneal_steps},
              {"render.lidar_rays", lidar_rays},   {"render.fused", fused}};
}

RenderConfig RenderConfig::from_json(const json& config) {
  namespace c = models::config;
  c::reject_unknown_keys(config, RenderConfig().to_json());
  RenderConfig parsed;
  parsed.ray_rows = c::read_integer(config, "render.ray_rows", 1);
  parsed.ray_cols = c::read_integer(config, "render.ray_cols", 1);
  parsed.samples = c::read_integer(config, "render.samples", 2);
  parsed.inv_s_init = c::read_number(config, "render.inv_s_init", -10.0, 10.0);
  parsed.inv_s_scale = c::read_number(config, "render.inv_s_scale", 1e-6, 1e3);
  parsed.cos_anneal_steps = c::read_integer(config, "render.cos_anneal_steps", 0);
  parsed.lidar_rays = c::read_integer(config, "render.lidar_rays", 0);
  parsed.fused = c::read_bool(config, "render.fused");
  return parsed;
}

json select_keys(const json& config, const std::string& prefix) {
  json selected = json::object();
  if (!config.is_object()) return selected;
  for (const auto& item : config.items())
    if (item.key().rfind(prefix, 0) == 0) selected[item.key()] = item.value();
  return selected;
}

}  // namespace occ::render
