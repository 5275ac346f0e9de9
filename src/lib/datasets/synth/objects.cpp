#include "datasets/synth/objects.h"

#include <cmath>

namespace occ::synth {
namespace {

using geom::Vec3;

Primitive part(Shape shape, Kind kind, Part which, const Vec3& centre, const Vec3& half, double yaw = 0) {
  Primitive p;
  p.shape = shape;
  p.kind = kind;
  p.part = which;
  p.centre = centre;
  p.half = half;
  p.set_yaw(yaw);
  return p;
}

// A box from z = bottom to z = top, centred at (x, y) in the object frame.
Primitive box(Kind kind, Part which, double x, double y, double length, double width, double bottom,
              double top) {
  return part(Shape::box, kind, which, {x, y, 0.5 * (bottom + top)},
              {0.5 * length, 0.5 * width, 0.5 * (top - bottom)});
}

void add_person(WorldObject& object, Kind kind, double x, double base, double scale) {
  const double legs = 0.85 * scale, torso = 0.6 * scale, head = 0.13 * scale;
  object.parts.push_back(
      part(Shape::cylinder, kind, Part::legs, {x, 0, base + 0.5 * legs}, {0.17, 0.17, 0.5 * legs}));
  object.parts.push_back(
      part(Shape::cylinder, kind, Part::body, {x, 0, base + legs + 0.5 * torso}, {0.22, 0.22, 0.5 * torso}));
  object.parts.push_back(part(Shape::spheroid, kind, Part::head, {x, 0, base + legs + torso + head},
                              {0.11 * scale, 0.11 * scale, head}));
}

}  // namespace

WorldObject make_object(Kind kind, Random& random, bool ridden) {
  WorldObject object;
  object.kind = kind;
  auto& parts = object.parts;
  double l = 1, w = 1, h = 1;
  switch (kind) {
    case Kind::car: {  // sizes of common passenger cars (nuScenes car mean wlh 1.95, 4.6, 1.73)
      l = random.uniform(3.9, 4.9), w = random.uniform(1.7, 1.95), h = random.uniform(1.4, 1.75);
      parts.push_back(box(kind, Part::body, 0, 0, l, w, 0.15, 0.55 * h));
      parts.push_back(box(kind, Part::cabin, -0.05 * l, 0, 0.55 * l, 0.92 * w, 0.55 * h, h));
      break;
    }
    case Kind::truck: {
      l = random.uniform(6.0, 9.5), w = random.uniform(2.3, 2.5), h = random.uniform(2.8, 3.6);
      parts.push_back(box(kind, Part::cabin, 0.5 * l - 1.1, 0, 2.2, w, 0.3, 0.85 * h));
      parts.push_back(box(kind, Part::body, -1.1, 0, l - 2.2, w, 0.3, h));
      break;
    }
    case Kind::bus: {
      l = random.uniform(10.5, 12.5), w = 2.55, h = random.uniform(3.0, 3.4);
      parts.push_back(box(kind, Part::body, 0, 0, l, w, 0.25, h));
      break;
    }
    case Kind::trailer: {
      l = random.uniform(7.0, 12.0), w = 2.5, h = random.uniform(3.2, 3.9);
      parts.push_back(box(kind, Part::body, 0, 0, l, w, 0.9, h));
      parts.push_back(box(kind, Part::wheel, -0.35 * l, 0, 2.0, w, 0.0, 0.9));
      break;
    }
    case Kind::construction_vehicle: {
      l = random.uniform(5.0, 7.0), w = random.uniform(2.4, 2.8), h = random.uniform(3.0, 3.6);
      parts.push_back(box(kind, Part::body, 0, 0, l, w, 0.2, 0.5 * h));
      parts.push_back(box(kind, Part::cabin, -0.15 * l, 0, 0.35 * l, 0.8 * w, 0.5 * h, h));
      break;
    }
    case Kind::motorcycle:
    case Kind::bicycle: {
      const bool motor = kind == Kind::motorcycle;
      l = motor ? random.uniform(1.9, 2.2) : random.uniform(1.6, 1.8);
      w = motor ? 0.75 : 0.55;
      h = motor ? 1.15 : 1.05;
      // Handlebars and pedals make a bicycle about 0.3 m wide where it is widest.
      parts.push_back(box(kind, Part::body, 0, 0, l, motor ? 0.45 : 0.3, 0.0, motor ? 0.95 : 0.9));
      if (ridden) {
        add_person(object, motor ? Kind::motorcyclist : Kind::bicyclist, -0.1 * l, 0.55, 0.95);
        h = 1.75;
      }
      break;
    }
    case Kind::pedestrian: {
      const double scale = random.uniform(0.9, 1.08);
      add_person(object, kind, 0, 0, scale);
      l = 0.6, w = 0.65, h = (0.85 + 0.6 + 0.26) * scale;
      break;
    }
    case Kind::traffic_cone: {
      l = w = 0.4, h = 0.75;
      parts.push_back(part(Shape::cylinder, kind, Part::body, {0, 0, 0.5 * h}, {0.17, 0.17, 0.5 * h}));
      break;
    }
    case Kind::other_object: {  // a wheelie bin
      l = 0.7, w = 0.6, h = 1.05;
      parts.push_back(box(kind, Part::body, 0, 0, l, w, 0.0, h));
      break;
    }
    case Kind::barrier: {  // a concrete jersey barrier
      l = 2.0, w = 0.55, h = 0.85;
      parts.push_back(box(kind, Part::body, 0, 0, l, w, 0.0, h));
      break;
    }
    default:
      break;
  }
  object.length = l;
  object.width = w;
  object.height = h;
  object.motion = {};
  const auto material = static_cast<uint32_t>(random.next());
  for (auto& p : parts) p.material = material;
  return object;
}

void add_building(std::vector<Primitive>& out, double x, double y, double length, double width, double height,
                  double yaw, uint32_t material) {
  Primitive p = part(Shape::box, Kind::building, Part::body, {x, y, 0.5 * height},
                     {0.5 * length, 0.5 * width, 0.5 * height}, yaw);
  p.material = material;
  out.push_back(p);
}

void add_tree(std::vector<Primitive>& out, double x, double y, Random& random, double max_crown_radius) {
  // The crown starts above head and car-roof height so nothing walks or
  // drives through it; street trees keep their crowns over the sidewalk.
  const double trunk_height = random.uniform(2.4, 3.4);
  const double crown_radius = std::min(random.uniform(1.3, 2.8), max_crown_radius);
  const double crown_half_height = crown_radius * random.uniform(0.9, 1.4);
  const auto material = static_cast<uint32_t>(random.next());
  Primitive trunk = part(Shape::cylinder, Kind::trunk, Part::body, {x, y, 0.5 * (trunk_height + 0.6)},
                         {random.uniform(0.12, 0.25), 0, 0.5 * (trunk_height + 0.6)});
  trunk.half.y = trunk.half.x;
  Primitive crown =
      part(Shape::spheroid, Kind::vegetation, Part::crown, {x, y, trunk_height + crown_half_height * 0.9},
           {crown_radius, crown_radius, crown_half_height});
  trunk.material = crown.material = material;
  out.push_back(trunk);
  out.push_back(crown);
}

void add_hedge(std::vector<Primitive>& out, double x, double y, double length, double yaw, Random& random) {
  const double height = random.uniform(0.8, 1.6), width = random.uniform(0.7, 1.2);
  Primitive p = part(Shape::box, Kind::vegetation, Part::body, {x, y, 0.5 * height},
                     {0.5 * length, 0.5 * width, 0.5 * height}, yaw);
  p.material = static_cast<uint32_t>(random.next());
  out.push_back(p);
}

void add_street_light(std::vector<Primitive>& out, double x, double y, Random& random) {
  const double height = random.uniform(6.0, 8.5);
  Primitive p =
      part(Shape::cylinder, Kind::pole, Part::body, {x, y, 0.5 * height}, {0.12, 0.12, 0.5 * height});
  p.material = static_cast<uint32_t>(random.next());
  out.push_back(p);
}

void add_sign(std::vector<Primitive>& out, double x, double y, double yaw, Random& random) {
  const double height = random.uniform(2.2, 2.8);
  Primitive pole =
      part(Shape::cylinder, Kind::pole, Part::body, {x, y, 0.5 * height}, {0.1, 0.1, 0.5 * height});
  Primitive plate =
      part(Shape::box, Kind::traffic_sign, Part::plate, {x, y, height + 0.3}, {0.08, 0.35, 0.35}, yaw);
  pole.material = plate.material = static_cast<uint32_t>(random.next());
  out.push_back(pole);
  out.push_back(plate);
}

}  // namespace occ::synth
