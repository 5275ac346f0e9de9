#include "datasets/synth/footprint.h"

namespace occ::synth {
namespace {

// Half extent of rectangle `r` (grown by margin) projected on axis (ax, ay).
double projected_radius(const Footprint& r, double margin, double ax, double ay) {
  const double c = std::cos(r.yaw), s = std::sin(r.yaw);
  return (r.half_length + margin) * std::abs(c * ax + s * ay) +
         (r.half_width + margin) * std::abs(-s * ax + c * ay);
}

}  // namespace

bool Footprint::overlaps(const Footprint& other, double margin) const {
  const double dx = other.x - x, dy = other.y - y;
  if (dx * dx + dy * dy > std::pow(radius() + other.radius() + 2 * margin, 2)) return false;
  for (const Footprint* rect : {this, &other}) {
    const double c = std::cos(rect->yaw), s = std::sin(rect->yaw);
    for (const auto& [ax, ay] : {std::pair<double, double>{c, s}, std::pair<double, double>{-s, c}}) {
      const double distance = std::abs(dx * ax + dy * ay);
      if (distance >= projected_radius(*this, margin, ax, ay) + projected_radius(other, margin, ax, ay))
        return false;
    }
  }
  return true;
}

bool FootprintSet::overlaps(const Footprint& candidate, double margin) const {
  for (const auto& item : items_) {
    if (item.overlaps(candidate, margin)) return true;
  }
  return false;
}

}  // namespace occ::synth
