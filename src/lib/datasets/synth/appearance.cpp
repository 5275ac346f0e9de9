#include "datasets/synth/appearance.h"

#include <algorithm>
#include <cmath>

#include "datasets/synth/random.h"

namespace occ::synth {
namespace {

using geom::Vec3;

Vec3 mix(const Vec3& a, const Vec3& b, double t) {
  return a * (1 - t) + b * t;
}

// Pick one of `count` colours from a palette by a material seed.
template <size_t N>
Vec3 pick(const Vec3 (&palette)[N], uint32_t material, uint64_t salt = 0) {
  return palette[mix64(material ^ salt) % N];
}

double fraction(double v) {
  return v - std::floor(v);
}

Vec3 facade(const Primitive& p, const Vec3& q, const Vec3& n) {
  static const Vec3 walls[] = {{0.62, 0.56, 0.47}, {0.55, 0.55, 0.55}, {0.52, 0.30, 0.24},
                               {0.78, 0.76, 0.70}, {0.40, 0.44, 0.48}, {0.66, 0.60, 0.52},
                               {0.45, 0.36, 0.30}, {0.70, 0.68, 0.62}};
  const Vec3 wall = pick(walls, p.material);
  if (n.z > 0.5) return wall * (0.6 + 0.2 * fractal_noise_2d(q.x * 0.5, q.y * 0.5, 2, p.material));
  const double u = std::abs(n.x) > 0.5 ? q.y : q.x;  // along the face
  const double v = q.z + p.half.z;                   // height above the ground
  const double noise = fractal_noise_2d(u * 1.5, v * 1.5, 3, p.material + 7);
  Vec3 colour = wall * (0.85 + 0.3 * noise);
  const double floor_height = 3.0 + 0.5 * double(mix64(p.material) % 3);
  const double bay = 2.4 + 0.4 * double(mix64(p.material + 1) % 3);
  const double fu = fraction(u / bay), fv = fraction(v / floor_height);
  if (v < 3.6) {
    // Shop fronts: a dark glazed band with a lighter frame.
    if (v > 0.4 && v < 2.9 && fu > 0.1 && fu < 0.9) colour = Vec3{0.16, 0.19, 0.22} * (0.8 + 0.5 * noise);
  } else if (fu > 0.22 && fu < 0.78 && fv > 0.28 && fv < 0.82 && v < 2 * p.half.z - 0.6) {
    const double lit =
        lattice_value(int64_t(std::floor(u / bay)), int64_t(std::floor(v / floor_height)), 0, p.material);
    colour = Vec3{0.12, 0.16, 0.22} + Vec3{0.35, 0.32, 0.22} * (lit > 0.85 ? 1.0 : 0.25 * lit);
  }
  return colour;
}

Vec3 vehicle(const Primitive& p, const Vec3& q, const Vec3& n) {
  static const Vec3 paints[] = {{0.85, 0.85, 0.86}, {0.08, 0.08, 0.09}, {0.45, 0.46, 0.48},
                                {0.65, 0.66, 0.68}, {0.55, 0.07, 0.07}, {0.10, 0.20, 0.45},
                                {0.15, 0.30, 0.20}, {0.80, 0.70, 0.50}};
  static const Vec3 work[] = {{0.90, 0.62, 0.05}, {0.85, 0.45, 0.05}, {0.92, 0.78, 0.10}};
  Vec3 paint = pick(paints, p.material);
  if (p.kind == Kind::construction_vehicle) paint = pick(work, p.material);
  if (p.kind == Kind::bus) paint = pick(paints, p.material, 3) * 0.5 + Vec3{0.1, 0.3, 0.5};
  if (p.kind == Kind::trailer) paint = Vec3{0.75, 0.75, 0.72};
  const Vec3 glass{0.10, 0.13, 0.16};
  const Vec3 tyre{0.05, 0.05, 0.05};
  const double v = q.z + p.half.z;  // height within the part
  const double grain = 0.92 + 0.16 * value_noise_3d(q.x * 4, q.y * 4, q.z * 4, p.material);
  if (p.part == Part::wheel) return tyre;
  if (p.part == Part::cabin && n.z < 0.5) {
    const double along = std::abs(n.x) > 0.5 ? std::abs(q.y) / p.half.y : std::abs(q.x) / p.half.x;
    if (v > 0.1 && v < 2 * p.half.z - 0.08 && along < 0.85) return glass * grain;
  }
  if (p.part == Part::body && n.z < 0.5) {
    if (v < 0.35) return tyre * 2.0 * grain;  // wheels and sills
    if (p.kind == Kind::bus && v > 1.3 && v < 2.5) return glass * grain;
    if (std::abs(n.x) > 0.5 && v > 0.45 && v < 0.6 && std::abs(q.y) > 0.6 * p.half.y) {
      return n.x > 0 ? Vec3{0.95, 0.95, 0.85} : Vec3{0.8, 0.05, 0.05};  // head and tail lights
    }
  }
  return paint * grain;
}

Vec3 person(const Primitive& p, const Vec3& q) {
  static const Vec3 shirts[] = {{0.80, 0.15, 0.12}, {0.12, 0.25, 0.60}, {0.90, 0.90, 0.88},
                                {0.15, 0.15, 0.15}, {0.30, 0.55, 0.30}, {0.85, 0.70, 0.20},
                                {0.50, 0.35, 0.60}};
  static const Vec3 trousers[] = {
      {0.12, 0.15, 0.30}, {0.08, 0.08, 0.08}, {0.40, 0.40, 0.42}, {0.60, 0.52, 0.38}};
  static const Vec3 skins[] = {
      {0.85, 0.66, 0.52}, {0.62, 0.43, 0.30}, {0.40, 0.27, 0.18}, {0.92, 0.76, 0.64}};
  const double grain = 0.9 + 0.2 * value_noise_3d(q.x * 8, q.y * 8, q.z * 8, p.material);
  if (p.part == Part::head) return q.z > 0.3 * p.half.z ? Vec3{0.12, 0.08, 0.05} : pick(skins, p.material, 2);
  if (p.part == Part::legs) return pick(trousers, p.material, 1) * grain;
  return pick(shirts, p.material) * grain;
}

}  // namespace

Vec3 primitive_albedo(const Primitive& p, const Vec3& q, const Vec3& n) {
  switch (p.kind) {
    case Kind::building:
      return facade(p, q, n);
    case Kind::vegetation: {
      static const Vec3 greens[] = {
          {0.16, 0.32, 0.10}, {0.22, 0.36, 0.12}, {0.12, 0.26, 0.12}, {0.30, 0.38, 0.14}};
      const double leaves = fractal_noise_3d(q.x * 3, q.y * 3, q.z * 3, 3, p.material);
      return pick(greens, p.material) * (0.55 + 0.9 * leaves);
    }
    case Kind::trunk:
      return Vec3{0.30, 0.22, 0.15} *
             (0.7 + 0.6 * value_noise_2d(std::atan2(q.y, q.x) * 3, q.z * 0.7, p.material));
    case Kind::pole:
      return Vec3{0.42, 0.43, 0.45} * (0.9 + 0.2 * value_noise_2d(0, q.z * 2, p.material));
    case Kind::traffic_sign: {
      static const Vec3 faces[] = {
          {0.10, 0.25, 0.65}, {0.75, 0.10, 0.10}, {0.90, 0.90, 0.90}, {0.90, 0.75, 0.10}};
      if (std::abs(n.x) < 0.5) return {0.4, 0.4, 0.4};
      const double r = std::hypot(q.y, q.z) / p.half.y;
      return r < 0.75 ? pick(faces, p.material) : Vec3{0.92, 0.92, 0.92};
    }
    case Kind::barrier: {
      if (p.material % 2 == 0)
        return Vec3{0.68, 0.67, 0.64} * (0.85 + 0.3 * fractal_noise_2d(q.x * 3, q.z * 3, 2, p.material));
      return fraction((q.x + q.z) / 0.6) < 0.5 ? Vec3{0.8, 0.1, 0.08} : Vec3{0.92, 0.92, 0.92};
    }
    case Kind::other_object: {
      static const Vec3 bins[] = {
          {0.10, 0.30, 0.15}, {0.20, 0.22, 0.25}, {0.10, 0.20, 0.50}, {0.55, 0.40, 0.10}};
      return pick(bins, p.material) * (0.85 + 0.3 * value_noise_2d(q.x * 6, q.z * 6, p.material));
    }
    case Kind::traffic_cone: {
      const double v = (q.z + p.half.z) / (2 * p.half.z);
      return v > 0.45 && v < 0.62 ? Vec3{0.95, 0.95, 0.95} : Vec3{0.95, 0.35, 0.05};
    }
    case Kind::pedestrian:
    case Kind::bicyclist:
    case Kind::motorcyclist:
      return person(p, q);
    case Kind::bicycle:
    case Kind::motorcycle: {
      static const Vec3 frames[] = {{0.1, 0.1, 0.1}, {0.6, 0.1, 0.1}, {0.1, 0.2, 0.5}, {0.7, 0.7, 0.7}};
      return pick(frames, p.material);
    }
    default:
      return vehicle(p, q, n);
  }
}

Vec3 ground_albedo(const RoadLayout& road, Kind kind, double x, double y, uint64_t seed) {
  const double fine = fractal_noise_2d(x * 2.0, y * 2.0, 3, seed + 11);
  const double coarse = fractal_noise_2d(x * 0.08, y * 0.08, 2, seed + 13);
  const double kerb = road.road_half_width();
  switch (kind) {
    case Kind::road: {
      Vec3 asphalt = Vec3{0.26, 0.26, 0.27} * (0.8 + 0.25 * fine + 0.2 * coarse);
      const double ay = std::abs(y);
      const Vec3 paint{0.85, 0.85, 0.80};
      if (!road.on_cross_street(x)) {
        const double line = 0.075;
        if (std::abs(ay - (kerb - 0.3)) < line) return paint;                      // edge lines
        if (ay < 0.2 && std::abs(ay - 0.1) < line) return Vec3{0.85, 0.70, 0.15};  // double centre line
        for (int lane = 1; lane < road.lanes_per_direction; ++lane) {
          if (std::abs(ay - lane * road.lane_width_m) < line && fraction(x / 9.0) < 0.35) return paint;
        }
        // Zebra crossings just before each intersection.
        for (double cx : road.cross_x) {
          const double d = std::abs(x - cx) - road.cross_half_width_m;
          if (d > 0.5 && d < 3.5 && ay < kerb - 0.5 && fraction(y / 1.0) < 0.5) return paint;
        }
      }
      return asphalt;
    }
    case Kind::sidewalk: {
      const double ay = std::abs(y);
      if (ay < kerb + 0.25 && !road.on_cross_street(x)) return Vec3{0.70, 0.70, 0.68} * (0.9 + 0.15 * fine);
      const bool joint = fraction(x / 1.0) < 0.04 || fraction(y / 1.0) < 0.04;
      const double tile = lattice_value(int64_t(std::floor(x)), int64_t(std::floor(y)), 0, seed + 17);
      return Vec3{0.58, 0.57, 0.54} * (joint ? 0.6 : 0.85 + 0.2 * tile) * (0.9 + 0.15 * fine);
    }
    case Kind::other_flat: {
      const bool bay_line = fraction(x / 2.8) < 0.035;
      const Vec3 base = Vec3{0.36, 0.34, 0.33} * (0.8 + 0.25 * fine + 0.2 * coarse);
      return bay_line ? Vec3{0.8, 0.8, 0.78} : base;
    }
    default: {  // terrain: grass with bare patches
      const double patch = fractal_noise_2d(x * 0.3, y * 0.3, 3, seed + 19);
      return mix(Vec3{0.22, 0.36, 0.12}, Vec3{0.42, 0.35, 0.22}, std::clamp((patch - 0.45) * 3.0, 0.0, 1.0)) *
             (0.75 + 0.45 * fine);
    }
  }
}

Vec3 sky_colour(const Vec3& direction) {
  const double up = std::clamp(direction.z, 0.0, 1.0);
  return mix(Vec3{0.80, 0.85, 0.90}, Vec3{0.32, 0.52, 0.85}, std::sqrt(up));
}

}  // namespace occ::synth
