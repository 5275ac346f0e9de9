#pragma once
// What surfaces of the synthetic world look like: procedural albedo
// (multi-scale value noise, lane markings, paving, facades with windows,
// per-object colours) and the sky. Colours are linear RGB in [0, 1].
#include "datasets/synth/shapes.h"
#include "datasets/synth/world.h"

namespace occ::synth {

geom::Vec3 primitive_albedo(const Primitive& primitive, const geom::Vec3& local_point,
                            const geom::Vec3& local_normal);
// Albedo of the ground of `kind` at layout position (x, y).
geom::Vec3 ground_albedo(const RoadLayout& road, Kind kind, double x, double y, uint64_t seed);
// Sky seen along `direction` (any frame whose z is up).
geom::Vec3 sky_colour(const geom::Vec3& direction);

}  // namespace occ::synth
