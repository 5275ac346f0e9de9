#pragma once
// One synthetic driving scene: a straight main road with lanes, cross
// streets, sidewalks, blocks of buildings, parks and parking lots, street
// furniture, parked and moving agents, and the ego vehicle's motion. All
// positions are in the scene's "layout" frame (main road along +x, ground at
// z = 0); world_from_layout places the scene somewhere in the world.
#include <cstdint>
#include <vector>

#include "datasets/synth/kinds.h"
#include "datasets/synth/shapes.h"
#include "geom/rigid.h"

namespace occ::synth {

// Constant speed and yaw rate ("CTRV") in the layout frame, optionally with
// a lane change: a smooth sideways shift (smoothstep profile) to the left of
// the initial heading, during which the heading follows the path.
struct Motion {
  double x0 = 0, y0 = 0, yaw0 = 0;
  double speed = 0;     // m/s along the heading
  double yaw_rate = 0;  // rad/s
  double shift_m = 0, shift_start_s = 0, shift_duration_s = 0;

  geom::Vec3 position(double t) const;
  double yaw(double t) const;
  geom::Vec3 velocity(double t) const;
  double yaw_rate_at(double t) const;
  bool moving() const { return speed != 0 || yaw_rate != 0; }

 private:
  // Sideways offset and its first and second time derivatives at t.
  void shift(double t, double& offset, double& rate, double& acceleration) const;
};

// A thing with an instance id (vehicle, pedestrian, cone, barrier): its
// parts are primitives in the object's own frame (x forward, z up, origin on
// the ground at the footprint centre).
struct WorldObject {
  Kind kind = Kind::car;
  int32_t instance = 0;
  Motion motion;
  double length = 0, width = 0, height = 0;
  std::vector<Primitive> parts;
};

struct Block {
  double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  Kind ground = Kind::terrain;
  bool contains(double x, double y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

// The road network: the main road along x at y = 0, cross streets along y.
struct RoadLayout {
  int lanes_per_direction = 1;
  double lane_width_m = 3.5;
  bool parking_lanes = false;  // outermost lane of each side holds parked cars
  double sidewalk_width_m = 3.0;
  double cross_half_width_m = 3.5;
  std::vector<double> cross_x;
  std::vector<Block> blocks;

  double road_half_width() const { return lanes_per_direction * lane_width_m; }
  Kind ground_kind(double x, double y) const;
  bool on_cross_street(double x, double margin = 0) const;
};

struct World {
  uint64_t seed = 0;
  RoadLayout road;
  std::vector<Primitive> static_primitives;  // buildings, vegetation, poles, signs (layout frame)
  std::vector<WorldObject> objects;          // things, parked or moving
  Motion ego;
  double duration_s = 0;
  geom::Rigid world_from_layout;
  geom::Vec3 sun_direction;  // unit, towards the sun, layout frame
};

// Builds scene `scene` of the dataset seeded by `seed`; the ego drives for
// `duration_s` seconds.
World build_world(uint64_t seed, int scene, double duration_s);

}  // namespace occ::synth
