#pragma once
// The Occ3D-nuScenes classes (ids 0..17, free = 17; protoocc.md) and the
// nuScenes / Lyft annotation categories that map onto them, so boxes carry
// the same class ids as the occupancy labels.
#include <cstdint>
#include <string>
#include <vector>

namespace occ::datasets {

constexpr int kOcc3dFreeClass = 17;
constexpr int kOcc3dOthersClass = 0;

const std::vector<std::string>& occ3d_class_names();

// Occ3D id of a box category: nuScenes detection categories ("vehicle.car",
// "human.pedestrian.adult"), Lyft's ("car", "other_vehicle") and the Occ3D
// names themselves (what `occ export --format nuscenes` writes). Categories
// with no Occ3D class of their own (animals, debris, emergency vehicles...)
// are "others" (0), as in the Occ3D label generation.
uint8_t occ3d_class_of_category(const std::string& category);

}  // namespace occ::datasets
