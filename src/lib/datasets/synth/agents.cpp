#include "datasets/synth/agents.h"

#include <cmath>

#include "datasets/synth/objects.h"

namespace occ::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kCheckStepS = 0.1;  // at 13 m/s two agents move 2.6 m between checks: margins cover it

}  // namespace

AgentPlacer::AgentPlacer(World& world, FootprintSet& obstacles, Random& random, double x_min, double x_max)
    : world_(world), obstacles_(obstacles), random_(random), x_min_(x_min), x_max_(x_max) {
  for (double t = 0; t <= world.duration_s + 1e-9; t += kCheckStepS) check_times_.push_back(t);
  if (check_times_.empty() || check_times_.back() < world.duration_s)
    check_times_.push_back(world.duration_s);
}

Footprint AgentPlacer::ego_footprint(const Motion& ego, double t) {
  const geom::Vec3 p = ego.position(t);
  const double yaw = ego.yaw(t);
  return {p.x + 1.3 * std::cos(yaw), p.y + 1.3 * std::sin(yaw), 2.3, 0.95, yaw};
}

Footprint AgentPlacer::object_footprint(const WorldObject& object, double t) {
  const geom::Vec3 p = object.motion.position(t);
  return {p.x, p.y, 0.5 * object.length, 0.5 * object.width, object.motion.yaw(t)};
}

void AgentPlacer::place_all() {
  place_parked_vehicles();
  place_construction_zone();
  place_lane_traffic();
  place_cross_traffic();
  place_lane_changes();
  place_sidewalk_pedestrians();
  place_lot_agents();
}

Kind AgentPlacer::random_vehicle_kind() {
  const double r = random_.uniform();
  if (r < 0.70) return Kind::car;
  if (r < 0.80) return Kind::truck;
  if (r < 0.86) return Kind::bus;
  if (r < 0.89) return Kind::construction_vehicle;
  if (r < 0.95) return Kind::motorcycle;
  return Kind::bicycle;
}

bool AgentPlacer::add_static(WorldObject object, double x, double y, double yaw, double margin) {
  const Footprint footprint{x, y, 0.5 * object.length, 0.5 * object.width, yaw};
  if (obstacles_.overlaps(footprint, margin)) return false;
  for (const auto& t : {0.0, world_.duration_s}) {
    if (footprint.overlaps(ego_footprint(world_.ego, t), margin)) return false;
  }
  obstacles_.add(footprint);
  object.motion = {x, y, yaw, 0, 0};
  object.instance = next_instance_++;
  for (auto& part : object.parts) part.instance = object.instance;
  world_.objects.push_back(std::move(object));
  return true;
}

void AgentPlacer::add_unchecked(WorldObject object, const Motion& motion) {
  object.motion = motion;
  object.instance = next_instance_++;
  for (auto& part : object.parts) part.instance = object.instance;
  moving_.push_back(world_.objects.size());
  world_.objects.push_back(std::move(object));
}

bool AgentPlacer::add_moving(WorldObject object, const Motion& motion, const Region& region) {
  object.motion = motion;
  const double radius = std::hypot(0.5 * object.length, 0.5 * object.width);
  for (double t : check_times_) {
    const Footprint footprint = object_footprint(object, t);
    if (!region(footprint.x, footprint.y, radius)) return false;
    if (obstacles_.overlaps(footprint, 0.25)) return false;
    if (footprint.overlaps(ego_footprint(world_.ego, t), 0.5)) return false;
    for (size_t other : moving_) {
      if (footprint.overlaps(object_footprint(world_.objects[other], t), 0.3)) return false;
    }
  }
  add_unchecked(std::move(object), motion);
  return true;
}

void AgentPlacer::place_parked_vehicles() {
  const RoadLayout& road = world_.road;
  const double kerb = road.road_half_width();
  if (road.parking_lanes) {
    for (int side : {-1, 1}) {
      for (double x = x_min_ + random_.uniform(0, 6); x < x_max_; x += random_.uniform(5.5, 9.0)) {
        if (road.on_cross_street(x, 6.0) || !random_.chance(0.65)) continue;
        WorldObject car = make_object(random_.chance(0.9) ? Kind::car : Kind::truck, random_, false);
        add_static(std::move(car), x, side * (kerb - 0.5 * road.lane_width_m + 0.4), side > 0 ? kPi : 0.0,
                   0.4);
      }
    }
  }
  // Parked two-wheelers and bins along the kerb on the sidewalk.
  for (int side : {-1, 1}) {
    for (double x = x_min_ + random_.uniform(0, 20); x < x_max_; x += random_.uniform(15.0, 40.0)) {
      if (road.on_cross_street(x, road.sidewalk_width_m + 1.0)) continue;
      const double pick = random_.uniform();
      const Kind kind = pick < 0.4 ? Kind::bicycle : pick < 0.65 ? Kind::motorcycle : Kind::other_object;
      add_static(make_object(kind, random_, false), x, side * (kerb + 1.3), kPi / 2, 0.3);
    }
  }
  // Rows of cars in parking lots, nose to the aisle.
  for (const auto& block : road.blocks) {
    if (block.ground != Kind::other_flat) continue;
    for (double y = block.y0 + 4.0; y < block.y1 - 4.0; y += 16.0) {
      for (double x = block.x0 + 2.0; x < block.x1 - 2.0; x += 2.8) {
        if (!random_.chance(0.55)) continue;
        WorldObject car = make_object(random_.chance(0.92) ? Kind::car : Kind::truck, random_, false);
        if (car.length > 6.0) continue;
        add_static(std::move(car), x, y, random_.chance(0.5) ? kPi / 2 : -kPi / 2, 0.15);
      }
    }
  }
}

void AgentPlacer::place_construction_zone() {
  const RoadLayout& road = world_.road;
  for (const auto& block : road.blocks) {
    if (block.ground != Kind::other_flat || !random_.chance(0.5)) continue;
    // Barriers fence off a strip along the lot's road side; cones and a
    // construction vehicle stand inside it.
    const bool left = block.y0 > 0;
    const double y = left ? block.y0 + 1.2 : block.y1 - 1.2;
    const double x0 = block.x0 + random_.uniform(1.0, 6.0);
    const double x1 = std::min(block.x1 - 1.0, x0 + random_.uniform(12.0, 25.0));
    for (double x = x0; x + 2.0 < x1; x += 2.2)
      add_static(make_object(Kind::barrier, random_, false), x + 1.0, y, 0, 0.05);
    for (double x = x0; x < x1; x += random_.uniform(1.5, 3.0)) {
      add_static(make_object(Kind::traffic_cone, random_, false), x, y + (left ? 1.4 : -1.4), 0, 0.2);
    }
    add_static(make_object(Kind::construction_vehicle, random_, false), 0.5 * (x0 + x1),
               y + (left ? 5.0 : -5.0), random_.uniform(-0.3, 0.3), 0.3);
  }
}

void AgentPlacer::place_lane_traffic() {
  const RoadLayout& road = world_.road;
  const int lanes = road.lanes_per_direction - (road.parking_lanes ? 1 : 0);
  for (int direction : {1, -1}) {
    for (int lane = 0; lane < lanes; ++lane) {
      const double y = -direction * (lane + 0.5) * road.lane_width_m;
      const bool ego_lane = std::abs(y - world_.ego.y0) < 0.1;
      // One speed per lane keeps the gaps constant: nobody rear-ends anybody.
      const double speed = ego_lane ? world_.ego.speed : random_.uniform(3.0, 13.0);
      const double yaw = direction > 0 ? 0.0 : kPi;
      double x = x_min_ - 40.0 + random_.uniform(0, 20);
      while (x < x_max_ + 40.0) {
        const Kind kind = random_vehicle_kind();
        WorldObject vehicle = make_object(kind, random_, true);
        WorldObject trailer;
        const bool with_trailer = kind == Kind::truck && random_.chance(0.4);
        if (with_trailer) trailer = make_object(Kind::trailer, random_, false);
        const double hitch = with_trailer ? trailer.length + 0.6 : 0.0;
        // The unit spans [x, x + hitch + length] along x; the trailer is on
        // the side the vehicle comes from.
        const double vehicle_x = direction > 0 ? x + hitch + 0.5 * vehicle.length : x + 0.5 * vehicle.length;
        const double trailer_x =
            direction > 0 ? x + 0.5 * trailer.length : x + vehicle.length + 0.6 + 0.5 * trailer.length;
        const double span = hitch + vehicle.length;
        x += span + random_.uniform(6.0, 30.0);
        if (random_.chance(0.35)) continue;
        const Footprint unit_start{vehicle_x + (direction > 0 ? -0.5 * hitch : 0.5 * hitch), y, 0.5 * span,
                                   1.3, 0.0};
        if (ego_lane && unit_start.overlaps(ego_footprint(world_.ego, 0), 4.0)) continue;
        if (with_trailer) add_unchecked(std::move(trailer), Motion{trailer_x, y, yaw, speed, 0});
        add_unchecked(std::move(vehicle), Motion{vehicle_x, y, yaw, speed, 0});
      }
    }
  }
}

void AgentPlacer::place_cross_traffic() {
  // Vehicles on the cross streets cross the main road: only those that find
  // a gap in its traffic for the whole scene are kept.
  const RoadLayout& road = world_.road;
  const Region on_street = [](double, double y, double) { return std::abs(y) < 95.0; };
  for (double cx : road.cross_x) {
    if (cx < x_min_ || cx > x_max_) continue;
    for (int attempt = 0, placed = 0; attempt < 8 && placed < 3; ++attempt) {
      const int direction =
          random_.chance(0.5) ? 1 : -1;  // +y drives on the x < cx side (right-hand traffic)
      const Motion motion{cx - direction * 0.5 * road.cross_half_width_m, random_.uniform(-70.0, 70.0),
                          direction * kPi / 2, random_.uniform(3.0, 10.0), 0};
      if (add_moving(make_object(random_vehicle_kind(), random_, true), motion, on_street)) ++placed;
    }
  }
}

void AgentPlacer::place_lane_changes() {
  // Where two lanes per direction carry traffic, some vehicles change lanes
  // (a few seconds, heading up to about 10 degrees off the lane): the only
  // vehicles with a yaw rate. Kept only when they stay clear of everyone.
  const RoadLayout& road = world_.road;
  if (road.lanes_per_direction - (road.parking_lanes ? 1 : 0) < 2) return;
  const double lanes_width = 2 * road.lane_width_m;
  for (int direction : {1, -1}) {
    const Region in_lanes = [direction, lanes_width](double, double y, double) {
      const double across = -direction * y;  // distance from the centre line into this direction's lanes
      return across > 0.3 && across < lanes_width - 0.3;
    };
    for (int attempt = 0, placed = 0; attempt < 10 && placed < 2; ++attempt) {
      const int from = random_.integer(0, 1), to = 1 - from;
      const double y_from = -direction * (from + 0.5) * road.lane_width_m;
      const double y_to = -direction * (to + 0.5) * road.lane_width_m;
      Motion motion{random_.uniform(x_min_, x_max_), y_from, direction > 0 ? 0.0 : kPi,
                    random_.uniform(5.0, 12.0), 0};
      // The shift is measured to the left of the heading: +y for direction 1.
      motion.shift_m = (y_to - y_from) * direction;
      motion.shift_duration_s = random_.uniform(3.0, 5.0);
      motion.shift_start_s = random_.uniform(0.0, std::max(0.0, world_.duration_s - 1.0));
      WorldObject car = make_object(Kind::car, random_, false);
      if (add_moving(std::move(car), motion, in_lanes)) ++placed;
    }
  }
}

void AgentPlacer::place_sidewalk_pedestrians() {
  const RoadLayout& road = world_.road;
  const double kerb = road.road_half_width();
  const double inner = kerb + 0.35, outer = kerb + road.sidewalk_width_m - 0.35;
  const Region on_sidewalk = [inner, outer](double, double y, double radius) {
    return std::abs(y) - radius > inner - 0.35 && std::abs(y) + radius < outer + 0.35;
  };
  for (int side : {-1, 1}) {
    const int count = random_.integer(4, 14);
    for (int i = 0, tries = 0; i < count && tries < 60; ++tries) {
      const bool standing = random_.chance(0.2);
      const double heading = random_.chance(0.5) ? 0.0 : kPi;
      const Motion motion{
          random_.uniform(x_min_ + 20, x_max_ - 20), side * random_.uniform(inner + 0.3, outer - 0.3),
          heading + random_.uniform(-0.05, 0.05), standing ? 0.0 : random_.uniform(0.8, 1.7), 0};
      if (add_moving(make_object(Kind::pedestrian, random_, false), motion, on_sidewalk)) ++i;
    }
  }
}

void AgentPlacer::place_lot_agents() {
  for (const auto& block : world_.road.blocks) {
    if (block.ground != Kind::other_flat) continue;
    const Region inside = [block](double x, double y, double radius) {
      return x - radius > block.x0 + 0.5 && x + radius < block.x1 - 0.5 && y - radius > block.y0 + 0.5 &&
             y + radius < block.y1 - 0.5;
    };
    const int count = random_.integer(2, 8);
    for (int i = 0, tries = 0; i < count && tries < 50; ++tries) {
      const bool cyclist = random_.chance(0.3);
      WorldObject agent = make_object(cyclist ? Kind::bicycle : Kind::pedestrian, random_, true);
      const Motion motion{random_.uniform(block.x0, block.x1), random_.uniform(block.y0, block.y1),
                          random_.uniform(-kPi, kPi),
                          cyclist ? random_.uniform(2.0, 4.5) : random_.uniform(0.7, 1.6),
                          cyclist ? random_.uniform(-0.2, 0.2) : random_.uniform(-0.3, 0.3)};
      if (add_moving(std::move(agent), motion, inside)) ++i;
    }
  }
}

}  // namespace occ::synth
