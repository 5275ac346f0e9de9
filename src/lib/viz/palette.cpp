#include "viz/palette.h"

#include <functional>
#include <map>

namespace occ::viz {
namespace {

const std::map<std::string, cv::Vec3b>& known_colours() {
  static const std::map<std::string, cv::Vec3b> colours = {
      // Occ3D-nuScenes, as in the occupancy community's figures (SurroundOcc, Occ3D).
      {"others", {0, 0, 0}},
      {"barrier", {255, 120, 50}},
      {"bicycle", {255, 192, 203}},
      {"bus", {255, 255, 0}},
      {"car", {0, 150, 245}},
      {"construction_vehicle", {0, 255, 255}},
      {"motorcycle", {255, 127, 0}},
      {"pedestrian", {255, 0, 0}},
      {"traffic_cone", {255, 240, 150}},
      {"trailer", {135, 60, 0}},
      {"truck", {160, 32, 240}},
      {"driveable_surface", {255, 0, 255}},
      {"other_flat", {139, 137, 137}},
      {"sidewalk", {75, 0, 75}},
      {"terrain", {150, 240, 80}},
      {"manmade", {230, 230, 250}},
      {"vegetation", {0, 175, 0}},
      {"free", {255, 255, 255}},
      // SemanticKITTI color_map (semantic-kitti.yaml lists BGR; these are RGB).
      {"unlabeled", {0, 0, 0}},
      {"empty", {255, 255, 255}},
      {"other-vehicle", {80, 30, 180}},
      {"person", {255, 30, 30}},
      {"bicyclist", {255, 40, 200}},
      {"motorcyclist", {150, 30, 90}},
      {"road", {255, 0, 255}},
      {"parking", {255, 150, 255}},
      {"other-ground", {175, 0, 75}},
      {"building", {255, 200, 0}},
      {"fence", {255, 120, 50}},
      {"trunk", {135, 60, 0}},
      {"pole", {150, 240, 255}},
      {"traffic-sign", {255, 0, 0}},
  };
  return colours;
}

}  // namespace

std::vector<cv::Vec3b> class_palette(const std::vector<std::string>& class_names) {
  std::vector<cv::Vec3b> palette;
  for (const auto& name : class_names) {
    const auto found = known_colours().find(name);
    if (found != known_colours().end()) {
      palette.push_back(found->second);
      continue;
    }
    // Unknown label sets still get stable, distinguishable colours.
    const size_t hash = std::hash<std::string>()(name);
    palette.emplace_back(static_cast<uchar>(64 + hash % 192), static_cast<uchar>(64 + (hash >> 8) % 192),
                         static_cast<uchar>(64 + (hash >> 16) % 192));
  }
  return palette;
}

}  // namespace occ::viz
