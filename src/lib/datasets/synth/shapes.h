#pragma once
// The solids the synthetic world is built from: boxes, vertical cylinders
// and vertical spheroids, each turned only about z (yaw), so ray hits and
// voxel overlap tests are exact and cheap.
#include <cstdint>

#include "datasets/synth/kinds.h"
#include "geom/rigid.h"
#include "geom/vec3.h"

namespace occ::synth {

enum class Shape : uint8_t { box, cylinder, spheroid };

// Which part of an object a primitive is, so textures can tell a car's
// cabin (glass) from its body.
enum class Part : uint8_t { body, cabin, wheel, head, legs, plate, crown };

struct Primitive {
  Shape shape = Shape::box;
  Kind kind = Kind::building;
  Part part = Part::body;
  int32_t instance = -1;  // -1 for stuff (ground, buildings, vegetation, poles)
  uint32_t material = 0;  // seed of the object's colours
  geom::Vec3 centre;      // centre of the solid in the frame it is expressed in
  // box: half extents along its own x, y, z; cylinder: (radius, radius, half
  // height); spheroid: (radius, radius, half height).
  geom::Vec3 half;
  double yaw = 0, cos_yaw = 1, sin_yaw = 0;

  void set_yaw(double new_yaw);
  geom::Vec3 to_local(const geom::Vec3& point) const;
  geom::Vec3 direction_to_local(const geom::Vec3& v) const;
  geom::Vec3 direction_from_local(const geom::Vec3& v) const;
  // Radius of a vertical cylinder around `centre` that holds the solid.
  double bounding_radius_xy() const;
  double top() const { return centre.z + half.z; }
  double bottom() const { return centre.z - half.z; }

  // Nearest hit of origin + t * direction with t in (0, t_max): the hit's
  // parameter, and the point and outward normal in the primitive's own frame.
  bool intersect(const geom::Vec3& origin, const geom::Vec3& direction, double t_max, double& t,
                 geom::Vec3& local_point, geom::Vec3& local_normal) const;
  // True when the solid and the axis-aligned box [lower, upper] share volume
  // (touching faces do not count).
  bool overlaps_box(const geom::Vec3& lower, const geom::Vec3& upper) const;
  bool contains(const geom::Vec3& point) const;
};

// The primitive moved by a flat-ground pose (yaw about z plus translation).
Primitive transformed(const Primitive& primitive, const geom::Rigid& target_from_source);

}  // namespace occ::synth
