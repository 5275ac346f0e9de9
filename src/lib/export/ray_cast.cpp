#include "export/ray_cast.h"

#include <cfloat>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace occ::exporting {
namespace {

// dvr.cu gives up after this many voxel steps.
constexpr int kMaxSteps = 1000;

// Rounds to float32 and back. The volatile is deliberate: g++ 12.2 (Debian
// 12) at -O3 vectorizes a loop of static_cast<float> into double lanes and
// drops the rounding, which moves origins on voxel boundaries off them.
double as_float32(double value) {
  volatile float narrowed = static_cast<float>(value);
  return narrowed;
}

}  // namespace

const std::vector<std::array<float, 3>>& lidar_ray_directions() {
  static const std::vector<std::array<float, 3>> directions = [] {
    std::vector<double> pitches;
    for (int k = 0; k < 10; ++k) pitches.push_back(-(M_PI / 2 - std::atan(k + 1.0)));
    while (pitches.back() < 0.21)
      pitches.push_back(pitches.back() + (pitches.back() - pitches[pitches.size() - 2]));
    std::vector<std::array<float, 3>> rays;
    for (const double pitch : pitches) {
      for (int degrees = 0; degrees < 360; ++degrees) {
        const double azimuth = degrees * (M_PI / 180.0);  // np.deg2rad: one multiplication
        rays.push_back({static_cast<float>(std::cos(pitch) * std::cos(azimuth)),
                        static_cast<float>(std::cos(pitch) * std::sin(azimuth)),
                        static_cast<float>(std::sin(pitch))});
      }
    }
    return rays;
  }();
  return directions;
}

std::vector<RayHit> cast_rays(const GridGeometry& geometry, const std::vector<uint8_t>& occupied,
                              const std::array<double, 3>& origin_m,
                              const std::vector<std::array<float, 3>>& directions) {
  const float voxel = static_cast<float>(geometry.voxel_m[0]);
  if (geometry.voxel_m[1] != geometry.voxel_m[0] || geometry.voxel_m[2] != geometry.voxel_m[0]) {
    throw FormatError("ray casting needs cubic voxels (one voxel_size_m for x, y and z)");
  }
  const int size[3] = {static_cast<int>(geometry.shape[0]), static_cast<int>(geometry.shape[1]),
                       static_cast<int>(geometry.shape[2])};
  if (occupied.size() != static_cast<size_t>(size[0]) * size[1] * size[2]) {
    throw Error("internal: occupancy grid size differs from its geometry");
  }
  auto is_occupied = [&](int x, int y, int z) {
    return occupied[(static_cast<size_t>(x) * size[1] + y) * size[2] + z] != 0;
  };
  // Grid coordinates as the official code computes them: float64 origins
  // (from numpy) and float32 ray directions, pc_min and voxel size, combined
  // in float64 and rounded to float32 by .float().
  const double scale = as_float32(geometry.voxel_m[0]);
  double grid_min[3], origin_grid[3];
  for (int axis = 0; axis < 3; ++axis) {
    grid_min[axis] = as_float32(geometry.origin_m[axis]);
    origin_grid[axis] = as_float32((origin_m[axis] - grid_min[axis]) / scale);
  }
  std::vector<RayHit> hits(directions.size());
  for (size_t ray = 0; ray < directions.size(); ++ray) {
    double o[3], r[3];
    for (int axis = 0; axis < 3; ++axis) {
      const double end_m = static_cast<double>(directions[ray][axis]) + origin_m[axis];
      o[axis] = origin_grid[axis];
      r[axis] = as_float32((end_m - grid_min[axis]) / scale) - o[axis];
    }
    const double length = std::sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
    int v[3], step[3];
    double t_max[3], t_delta[3];
    for (int axis = 0; axis < 3; ++axis) {
      const double d = r[axis] / length;
      v[axis] = static_cast<int>(o[axis]);  // C truncation, as int(x) in dvr.cu
      step[axis] = d >= 0 ? 1 : -1;
      const double boundary = v[axis] + (step[axis] < 0 ? 0 : 1);
      t_max[axis] = d != 0 ? (boundary - o[axis]) / d : DBL_MAX;
      t_delta[axis] = d != 0 ? step[axis] / d : DBL_MAX;
    }
    // dvr.cu records the whole path and then takes its first occupied
    // voxel, or its last voxel; stopping at the first occupied voxel gives
    // the same answer without walking the rest of the grid.
    bool entered = false;
    std::array<int32_t, 3> last{};
    double last_exit = 0;
    for (int steps = 0;;) {
      const bool inside =
          v[0] >= 0 && v[0] < size[0] && v[1] >= 0 && v[1] < size[1] && v[2] >= 0 && v[2] < size[2];
      if (!inside && entered) break;
      if (inside) {
        entered = true;
        last = {v[0], v[1], v[2]};
      }
      // Tie-break of dvr.cu: x only when strictly first, else y when
      // strictly before z, else z.
      int axis = 2;
      if (t_max[0] < t_max[1]) {
        if (t_max[0] < t_max[2]) axis = 0;
      } else if (t_max[1] < t_max[2]) {
        axis = 1;
      }
      const double distance = t_max[axis];
      v[axis] += step[axis];
      t_max[axis] += t_delta[axis];
      if (inside) {
        last_exit = distance;
        if (is_occupied(last[0], last[1], last[2])) break;
      }
      if (++steps > kMaxSteps) break;
    }
    RayHit& hit = hits[ray];
    if (!entered) {
      hit.distance_m = -1.0f * voxel;
      hit.voxel = {0, 0, 0};
      continue;
    }
    // dvr.cu writes the distance into a float tensor, then scales it.
    hit.distance_m = static_cast<float>(last_exit) * voxel;
    hit.voxel = last;
  }
  return hits;
}

}  // namespace occ::exporting
