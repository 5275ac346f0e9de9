#pragma once
// Ground footprints (oriented rectangles) for placing objects without
// overlap and for checking that moving agents never pass through anything.
#include <cmath>
#include <utility>
#include <vector>

namespace occ::synth {

struct Footprint {
  double x = 0, y = 0, half_length = 0, half_width = 0, yaw = 0;

  double radius() const { return std::sqrt(half_length * half_length + half_width * half_width); }
  // Separating-axis test of two rectangles, each grown by `margin`.
  bool overlaps(const Footprint& other, double margin) const;
};

// A bag of footprints with a coarse reject on distance before the exact test.
class FootprintSet {
 public:
  void add(const Footprint& footprint) { items_.push_back(footprint); }
  bool overlaps(const Footprint& candidate, double margin) const;
  const std::vector<Footprint>& items() const { return items_; }

 private:
  std::vector<Footprint> items_;
};

}  // namespace occ::synth
