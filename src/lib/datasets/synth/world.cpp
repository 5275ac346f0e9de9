#include "datasets/synth/world.h"

#include <algorithm>
#include <cmath>

#include "datasets/synth/agents.h"
#include "datasets/synth/footprint.h"
#include "datasets/synth/objects.h"
#include "datasets/synth/random.h"

namespace occ::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSceneHalfWidth = 80.0;  // blocks reach this far from the main road

double building_height(Random& random) {
  // Mostly low-rise with some towers, as in nuScenes' Boston and Singapore.
  return random.chance(0.25) ? random.uniform(12.0, 32.0) : random.uniform(4.0, 12.0);
}

void fill_building_block(World& world, const Block& block, int side, FootprintSet& obstacles,
                         Random& random) {
  const double front = side > 0 ? block.y0 : block.y1;  // edge facing the main road
  for (int row = 0; row < 2; ++row) {
    const double row_start = row == 0 ? random.uniform(0.5, 4.0) : random.uniform(26.0, 32.0);
    double x = block.x0 + random.uniform(0.0, 3.0);
    while (x < block.x1 - 6.0) {
      const double length = std::min(random.uniform(8.0, 24.0), block.x1 - x);
      if (length < 6.0) break;
      const double depth = random.uniform(8.0, 20.0);
      const double y = front + side * (row_start + 0.5 * depth);
      if (std::abs(y) + 0.5 * depth < kSceneHalfWidth + 10.0) {
        add_building(world.static_primitives, x + 0.5 * length, y, length, depth, building_height(random),
                     0.0, static_cast<uint32_t>(random.next()));
        obstacles.add({x + 0.5 * length, y, 0.5 * length, 0.5 * depth, 0.0});
      }
      x += length;
      const double gap = random.chance(0.5) ? random.uniform(0.0, 1.0) : random.uniform(3.0, 9.0);
      if (gap > 4.0 && row == 0) {
        const double tree_y = front + side * random.uniform(2.0, 6.0);
        const Footprint tree{x + 0.5 * gap, tree_y, 1.0, 1.0, 0.0};
        if (!obstacles.overlaps(tree, 0.3)) {
          add_tree(world.static_primitives, tree.x, tree.y, random);
          obstacles.add({tree.x, tree.y, 0.3, 0.3, 0.0});
        }
      }
      x += gap;
    }
  }
}

void fill_park(World& world, const Block& block, int side, FootprintSet& obstacles, Random& random) {
  const int trees = static_cast<int>((block.x1 - block.x0) * (block.y1 - block.y0) / 110.0);
  for (int i = 0; i < trees; ++i) {
    const Footprint tree{random.uniform(block.x0 + 2, block.x1 - 2),
                         random.uniform(block.y0 + 2, block.y1 - 2), 1.5, 1.5, 0.0};
    if (obstacles.overlaps(tree, 0.5)) continue;
    add_tree(world.static_primitives, tree.x, tree.y, random);
    obstacles.add({tree.x, tree.y, 0.3, 0.3, 0.0});
  }
  if (random.chance(0.6)) {
    const double y = side > 0 ? block.y0 + 1.0 : block.y1 - 1.0;
    for (double x = block.x0 + 1.0; x + 4.0 < block.x1 - 1.0; x += random.uniform(5.0, 9.0)) {
      const double length = random.uniform(3.0, 6.0);
      const Footprint hedge{x + 0.5 * length, y, 0.5 * length, 0.6, 0.0};
      if (x + length > block.x1 - 1.0 || obstacles.overlaps(hedge, 0.2)) continue;
      add_hedge(world.static_primitives, hedge.x, hedge.y, length, 0.0, random);
      obstacles.add(hedge);
      x += length;
    }
  }
}

void add_sidewalk_furniture(World& world, int side, double x_min, double x_max, FootprintSet& obstacles,
                            Random& random) {
  const RoadLayout& road = world.road;
  const double kerb = road.road_half_width();
  for (double x = x_min + random.uniform(0, 8); x < x_max; x += random.uniform(7.0, 14.0)) {
    if (road.on_cross_street(x, road.sidewalk_width_m + 1.0) || !random.chance(0.6)) continue;
    const double y = side * (kerb + road.sidewalk_width_m - 0.8);
    if (obstacles.overlaps({x, y, 0.4, 0.4, 0.0}, 0.5)) continue;
    add_tree(world.static_primitives, x, y, random, road.sidewalk_width_m - 0.9);
    obstacles.add({x, y, 0.3, 0.3, 0.0});
  }
  for (double x = x_min + random.uniform(0, 20); x < x_max; x += random.uniform(20.0, 35.0)) {
    if (road.on_cross_street(x, road.sidewalk_width_m + 0.5)) continue;
    const double y = side * (kerb + 0.45);
    if (obstacles.overlaps({x, y, 0.2, 0.2, 0.0}, 0.5)) continue;
    if (random.chance(0.75)) {
      add_street_light(world.static_primitives, x, y, random);
    } else {
      add_sign(world.static_primitives, x, y, side > 0 ? kPi : 0.0, random);
    }
    obstacles.add({x, y, 0.2, 0.2, 0.0});
  }
}

}  // namespace

void Motion::shift(double t, double& offset, double& rate, double& acceleration) const {
  offset = rate = acceleration = 0;
  if (shift_m == 0 || shift_duration_s <= 0) return;
  const double u = std::clamp((t - shift_start_s) / shift_duration_s, 0.0, 1.0);
  offset = shift_m * u * u * (3 - 2 * u);
  if (u <= 0 || u >= 1) return;
  rate = shift_m * 6 * u * (1 - u) / shift_duration_s;
  acceleration = shift_m * (6 - 12 * u) / (shift_duration_s * shift_duration_s);
}

geom::Vec3 Motion::position(double t) const {
  double offset, rate, acceleration;
  shift(t, offset, rate, acceleration);
  const geom::Vec3 left{-std::sin(yaw0) * offset, std::cos(yaw0) * offset, 0};
  if (std::abs(yaw_rate) < 1e-9) {
    return geom::Vec3{x0 + speed * t * std::cos(yaw0), y0 + speed * t * std::sin(yaw0), 0} + left;
  }
  const double r = speed / yaw_rate, yaw1 = yaw0 + yaw_rate * t;
  return geom::Vec3{x0 + r * (std::sin(yaw1) - std::sin(yaw0)), y0 - r * (std::cos(yaw1) - std::cos(yaw0)),
                    0} +
         left;
}

double Motion::yaw(double t) const {
  double offset, rate, acceleration;
  shift(t, offset, rate, acceleration);
  return yaw0 + yaw_rate * t + (rate != 0 ? std::atan2(rate, speed) : 0.0);
}

double Motion::yaw_rate_at(double t) const {
  double offset, rate, acceleration;
  shift(t, offset, rate, acceleration);
  // d/dt atan2(rate, speed) at constant speed.
  return yaw_rate +
         (rate != 0 || acceleration != 0 ? speed * acceleration / (speed * speed + rate * rate) : 0.0);
}

geom::Vec3 Motion::velocity(double t) const {
  double offset, rate, acceleration;
  shift(t, offset, rate, acceleration);
  const double heading = yaw0 + yaw_rate * t;
  return {speed * std::cos(heading) - rate * std::sin(yaw0),
          speed * std::sin(heading) + rate * std::cos(yaw0), 0};
}

bool RoadLayout::on_cross_street(double x, double margin) const {
  for (double cx : cross_x) {
    if (std::abs(x - cx) < cross_half_width_m + margin) return true;
  }
  return false;
}

Kind RoadLayout::ground_kind(double x, double y) const {
  const double kerb = road_half_width();
  const double ay = std::abs(y);
  if (ay < kerb || on_cross_street(x)) return Kind::road;
  if (ay < kerb + sidewalk_width_m || on_cross_street(x, sidewalk_width_m)) return Kind::sidewalk;
  for (const auto& block : blocks) {
    if (block.contains(x, y)) return block.ground;
  }
  return Kind::terrain;
}

World build_world(uint64_t seed, int scene, double duration_s) {
  World world;
  world.seed = hash_combine(seed, static_cast<uint64_t>(scene));
  Random random(world.seed);
  world.duration_s = duration_s;
  RoadLayout& road = world.road;
  road.lanes_per_direction = random.chance(0.5) ? 2 : 1;
  road.parking_lanes = road.lanes_per_direction == 2 && random.chance(0.6);
  road.sidewalk_width_m = random.uniform(2.5, 4.5);

  // The ego drives along +x in a right-hand lane (y < 0), about 5-30 km/h as
  // in nuScenes' city scenes. Its origin is the rear axle: x0 is where it starts.
  const int ego_lane = road.lanes_per_direction == 2 && !road.parking_lanes ? random.integer(0, 1) : 0;
  world.ego.y0 = -(ego_lane + 0.5) * road.lane_width_m;
  world.ego.speed = random.uniform(3.5, 9.0);
  const double travel = world.ego.speed * duration_s;
  const double x_min = -90.0, x_max = travel + 90.0;

  for (double x = x_min - random.uniform(10.0, 40.0); x < x_max + 60.0; x += random.uniform(45.0, 95.0)) {
    road.cross_x.push_back(x);
  }
  const double block_start = road.road_half_width() + road.sidewalk_width_m;
  FootprintSet obstacles;
  std::vector<std::pair<Block, int>> building_blocks, parks;
  for (int side : {-1, 1}) {
    for (size_t i = 0; i + 1 < road.cross_x.size(); ++i) {
      Block block;
      block.x0 = road.cross_x[i] + road.cross_half_width_m + road.sidewalk_width_m;
      block.x1 = road.cross_x[i + 1] - road.cross_half_width_m - road.sidewalk_width_m;
      block.y0 = side > 0 ? block_start : -kSceneHalfWidth - 10.0;
      block.y1 = side > 0 ? kSceneHalfWidth + 10.0 : -block_start;
      if (block.x1 - block.x0 < 8.0) continue;
      const double type = random.uniform();
      block.ground = type < 0.8 ? Kind::terrain : Kind::other_flat;
      road.blocks.push_back(block);
      if (type < 0.6) {
        building_blocks.emplace_back(block, side);
      } else if (type < 0.8) {
        parks.emplace_back(block, side);
      }
    }
  }
  for (int side : {-1, 1}) add_sidewalk_furniture(world, side, x_min, x_max, obstacles, random);
  for (const auto& [block, side] : building_blocks)
    fill_building_block(world, block, side, obstacles, random);
  for (const auto& [block, side] : parks) fill_park(world, block, side, obstacles, random);

  AgentPlacer placer(world, obstacles, random, x_min, x_max);
  placer.place_all();

  const double sun_azimuth = random.uniform(0, 2 * kPi), sun_elevation = random.uniform(0.45, 1.1);
  world.sun_direction = {std::cos(sun_elevation) * std::cos(sun_azimuth),
                         std::cos(sun_elevation) * std::sin(sun_azimuth), std::sin(sun_elevation)};
  world.world_from_layout = geom::Rigid::from_yaw(random.uniform(-kPi, kPi),
                                                  {random.uniform(300, 1800), random.uniform(300, 1800), 0});
  return world;
}

}  // namespace occ::synth
