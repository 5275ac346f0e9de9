#pragma once
// What a surface of the synthetic world is, before a rig maps it to the
// class ids of its label set (Occ3D-nuScenes or SemanticKITTI).
#include <cstdint>

namespace occ::synth {

enum class Kind : uint8_t {
  road,
  sidewalk,
  terrain,
  other_flat,  // parking lots and plazas
  building,
  vegetation,  // tree crowns and hedges
  trunk,
  barrier,
  traffic_cone,
  other_object,  // wheelie bins and similar pushable things (nuScenes movable_object.pushable_pullable)
  pole,
  traffic_sign,
  car,
  truck,
  bus,
  trailer,
  construction_vehicle,
  motorcycle,
  bicycle,
  bicyclist,     // the rider of a moving bicycle
  motorcyclist,  // the rider of a moving motorcycle
  pedestrian,
  count
};
constexpr int kKindCount = static_cast<int>(Kind::count);

// Kinds whose objects carry an instance id (boxes, instance maps).
inline bool is_thing(Kind kind) {
  return kind >= Kind::barrier && kind != Kind::pole && kind != Kind::traffic_sign;
}

}  // namespace occ::synth
