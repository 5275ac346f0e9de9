#include "viz/palette.h"

#include <functional>
#include <map>

namespace occ::viz {
namespace {

const std::map<std::string, Rgb>& occ3d_colours() {
  static const std::map<std::string, Rgb> colours = {
      {"others", {0, 0, 0}},           {"barrier", {255, 120, 50}}, {"bicycle", {255, 192, 203}},
      {"bus", {255, 255, 0}},          {"car", {0, 150, 245}},      {"construction_vehicle", {0, 255, 255}},
      {"motorcycle", {200, 180, 0}},   {"pedestrian", {255, 0, 0}}, {"traffic_cone", {255, 240, 150}},
      {"trailer", {135, 60, 0}},       {"truck", {160, 32, 240}},   {"driveable_surface", {255, 0, 255}},
      {"other_flat", {139, 137, 137}}, {"sidewalk", {75, 0, 75}},   {"terrain", {150, 240, 80}},
      {"manmade", {230, 230, 250}},    {"vegetation", {0, 175, 0}}, {"free", {255, 255, 255}},
  };
  return colours;
}

const std::map<std::string, Rgb>& semantickitti_colours() {
  // color_map of the original ids behind each learning class, BGR -> RGB.
  static const std::map<std::string, Rgb> colours = {
      {"empty", {0, 0, 0}},           {"unlabeled", {0, 0, 0}},
      {"car", {100, 150, 245}},       {"bicycle", {100, 230, 245}},
      {"motorcycle", {30, 60, 150}},  {"truck", {80, 30, 180}},
      {"other-vehicle", {0, 0, 255}}, {"person", {255, 30, 30}},
      {"bicyclist", {255, 40, 200}},  {"motorcyclist", {150, 30, 90}},
      {"road", {255, 0, 255}},        {"parking", {255, 150, 255}},
      {"sidewalk", {75, 0, 75}},      {"other-ground", {175, 0, 75}},
      {"building", {255, 200, 0}},    {"fence", {255, 120, 50}},
      {"vegetation", {0, 175, 0}},    {"trunk", {135, 60, 0}},
      {"terrain", {150, 240, 80}},    {"pole", {255, 240, 150}},
      {"traffic-sign", {255, 0, 0}},
  };
  return colours;
}

bool knows_all(const std::map<std::string, Rgb>& table, const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (!table.count(name)) return false;
  }
  return true;
}

}  // namespace

std::vector<Rgb> class_colours(const std::vector<std::string>& class_names) {
  const auto& occ3d = occ3d_colours();
  const auto& kitti = semantickitti_colours();
  const bool all_occ3d = knows_all(occ3d, class_names);
  const bool all_kitti = !all_occ3d && knows_all(kitti, class_names);
  std::vector<Rgb> palette;
  for (const auto& name : class_names) {
    const auto& first = all_kitti ? kitti : occ3d;
    const auto& second = all_kitti ? occ3d : kitti;
    if (first.count(name)) {
      palette.push_back(first.at(name));
    } else if (second.count(name)) {
      palette.push_back(second.at(name));
    } else {
      // Unknown label sets still get stable, distinguishable colours.
      const size_t hash = std::hash<std::string>()(name);
      palette.push_back({static_cast<uint8_t>(64 + hash % 192), static_cast<uint8_t>(64 + (hash >> 8) % 192),
                         static_cast<uint8_t>(64 + (hash >> 16) % 192)});
    }
  }
  return palette;
}

std::vector<cv::Vec3b> class_palette(const std::vector<std::string>& class_names) {
  std::vector<cv::Vec3b> palette;
  for (const Rgb& c : class_colours(class_names)) palette.emplace_back(c[0], c[1], c[2]);
  return palette;
}

}  // namespace occ::viz
