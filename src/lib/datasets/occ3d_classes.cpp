#include "datasets/occ3d_classes.h"

#include <map>

namespace occ::datasets {

const std::vector<std::string>& occ3d_class_names() {
  static const std::vector<std::string> names = {
      "others",     "barrier",    "bicycle",      "bus",     "car",        "construction_vehicle",
      "motorcycle", "pedestrian", "traffic_cone", "trailer", "truck",      "driveable_surface",
      "other_flat", "sidewalk",   "terrain",      "manmade", "vegetation", "free"};
  return names;
}

uint8_t occ3d_class_of_category(const std::string& category) {
  // nuScenes categories: nuscenes-devkit docs/instructions_nuscenes.md and the
  // lidarseg "general to challenge" mapping Occ3D's classes follow; Lyft's
  // category table (fixtures/lyft_nuscenes_schema) uses short names.
  static const std::map<std::string, uint8_t> mapping = {
      {"movable_object.barrier", 1},
      {"vehicle.bicycle", 2},
      {"bicycle", 2},
      {"vehicle.bus.bendy", 3},
      {"vehicle.bus.rigid", 3},
      {"bus", 3},
      {"vehicle.car", 4},
      {"car", 4},
      {"vehicle.construction", 5},
      {"vehicle.motorcycle", 6},
      {"motorcycle", 6},
      {"human.pedestrian.adult", 7},
      {"human.pedestrian.child", 7},
      {"human.pedestrian.construction_worker", 7},
      {"human.pedestrian.police_officer", 7},
      {"pedestrian", 7},
      {"movable_object.trafficcone", 8},
      {"vehicle.trailer", 9},
      {"vehicle.truck", 10},
      {"truck", 10},
  };
  const auto found = mapping.find(category);
  if (found != mapping.end()) return found->second;
  const auto& names = occ3d_class_names();
  for (size_t id = 0; id < names.size(); ++id) {
    if (names[id] == category && static_cast<int>(id) != kOcc3dFreeClass) return static_cast<uint8_t>(id);
  }
  return kOcc3dOthersClass;
}

}  // namespace occ::datasets
