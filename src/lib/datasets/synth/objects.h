#pragma once
// Shapes of the things and static structures of the synthetic world, built
// from primitives with plausible real-world dimensions.
#include <vector>

#include "datasets/synth/random.h"
#include "datasets/synth/world.h"

namespace occ::synth {

// A thing of `kind` (vehicles, pedestrians, cones, barriers) facing +x at
// the origin; `ridden` puts a rider on a bicycle or motorcycle.
WorldObject make_object(Kind kind, Random& random, bool ridden);

// Static structures, appended to `out` in the layout frame.
void add_building(std::vector<Primitive>& out, double x, double y, double length, double width, double height,
                  double yaw, uint32_t material);
void add_tree(std::vector<Primitive>& out, double x, double y, Random& random, double max_crown_radius = 3.0);
void add_hedge(std::vector<Primitive>& out, double x, double y, double length, double yaw, Random& random);
void add_street_light(std::vector<Primitive>& out, double x, double y, Random& random);
void add_sign(std::vector<Primitive>& out, double x, double y, double yaw, Random& random);

}  // namespace occ::synth
