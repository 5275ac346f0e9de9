#pragma once
// The world at one instant, seen from the ego: every primitive within range
// moved into the ego frame, the state of every thing (for boxes and flow),
// and an index that answers ray queries.
#include <cstdint>
#include <vector>

#include "datasets/synth/shapes.h"
#include "datasets/synth/world.h"
#include "geom/rigid.h"

namespace occ::synth {

struct ObjectState {
  int32_t instance = 0;
  Kind kind = Kind::car;
  geom::Vec3 centre;    // ego frame, centre of the box (half height up)
  double yaw = 0;       // ego frame
  geom::Vec3 velocity;  // world velocity expressed in the ego frame, m/s
  double yaw_rate = 0;  // rad/s
  double length = 0, width = 0, height = 0;
  bool moving = false;
};

struct HitRecord {
  double t = 0;
  int primitive = -1;  // index into Snapshot::primitives; -1 for the ground
  geom::Vec3 local_point, local_normal;
};

class Snapshot {
 public:
  // `ego_height_m`: how far the ego frame's origin is above the ground.
  Snapshot(const World& world, double time_s, double ego_height_m, double range_m);

  double time_s() const { return time_s_; }
  const geom::Rigid& layout_from_ego() const { return layout_from_ego_; }
  double ground_z() const { return ground_z_; }  // the ground plane in the ego frame
  const std::vector<Primitive>& primitives() const { return primitives_; }
  const std::vector<ObjectState>& objects() const { return objects_; }
  // Index into objects() of an instance id, -1 when not in range.
  int object_of_instance(int32_t instance) const;

  // Nearest surface along origin + t * direction (unit direction) with t in
  // (0, t_max): a primitive or the ground. False when the ray escapes (sky).
  bool cast(const geom::Vec3& origin, const geom::Vec3& direction, double t_max, HitRecord& hit) const;
  // True when anything lies on the segment (shadow rays).
  bool blocked(const geom::Vec3& origin, const geom::Vec3& direction, double t_max) const;

 private:
  void build_index();
  template <bool any_hit>
  bool trace(const geom::Vec3& origin, const geom::Vec3& direction, double t_max, HitRecord& hit) const;

  double time_s_;
  geom::Rigid layout_from_ego_;
  double ground_z_;
  double max_top_ = 0;
  std::vector<Primitive> primitives_;
  std::vector<ObjectState> objects_;
  std::vector<int> object_by_instance_;
  // A 2D grid over [-range, range]^2: cell c lists primitives
  // cell_items_[cell_start_[c] .. cell_start_[c + 1]).
  double range_m_, cell_m_ = 4.0;
  int cells_ = 0;
  std::vector<int> cell_start_, cell_items_;
};

}  // namespace occ::synth
