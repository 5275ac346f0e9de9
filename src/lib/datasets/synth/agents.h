#pragma once
// Places the things of a scene: parked vehicles, a construction zone,
// traffic in the lanes and across them on the cross streets, pedestrians on sidewalks and pedestrians and
// cyclists wandering (with a yaw rate) across parking lots. Moving agents are checked at closely spaced times
// over the whole scene so they never pass through each other, the ego or any static structure.
#include <functional>
#include <vector>

#include "datasets/synth/footprint.h"
#include "datasets/synth/random.h"
#include "datasets/synth/world.h"

namespace occ::synth {

class AgentPlacer {
 public:
  AgentPlacer(World& world, FootprintSet& obstacles, Random& random, double x_min, double x_max);
  void place_all();

  // The ego's footprint (a 4.6 x 1.9 m car whose rear axle is the origin).
  static Footprint ego_footprint(const Motion& ego, double t);
  static Footprint object_footprint(const WorldObject& object, double t);

 private:
  using Region = std::function<bool(double x, double y, double radius)>;
  void place_parked_vehicles();
  void place_construction_zone();
  void place_lane_traffic();
  void place_cross_traffic();
  void place_lane_changes();
  void place_sidewalk_pedestrians();
  void place_lot_agents();
  Kind random_vehicle_kind();
  bool add_static(WorldObject object, double x, double y, double yaw, double margin);
  bool add_moving(WorldObject object, const Motion& motion, const Region& region);
  void add_unchecked(WorldObject object, const Motion& motion);

  World& world_;
  FootprintSet& obstacles_;
  Random& random_;
  double x_min_, x_max_;
  std::vector<double> check_times_;
  std::vector<size_t> moving_;
  int32_t next_instance_ = 1;
};

}  // namespace occ::synth
