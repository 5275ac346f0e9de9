#include "metrics/ray_cast.h"

#include <cfloat>
#include <cmath>

namespace occ::metrics {

std::vector<double> lidar_pitches() {
  std::vector<double> pitches;
  for (int k = 0; k < 10; ++k) pitches.push_back(-(M_PI / 2 - std::atan(k + 1)));
  // "nuscenes lidar fov": continue with the last step until 0.21 rad.
  while (pitches.back() < 0.21) {
    const double delta = pitches.back() - pitches[pitches.size() - 2];
    pitches.push_back(pitches.back() + delta);
  }
  return pitches;
}

const std::vector<Vec3f>& lidar_ray_directions() {
  static const std::vector<Vec3f> rays = [] {
    std::vector<Vec3f> directions;
    for (double pitch : lidar_pitches()) {
      for (int degrees = 0; degrees < 360; ++degrees) {
        const double azimuth = degrees * (M_PI / 180.0);  // np.deg2rad: one multiplication
        directions.push_back({static_cast<float>(std::cos(pitch) * std::cos(azimuth)),
                              static_cast<float>(std::cos(pitch) * std::sin(azimuth)),
                              static_cast<float>(std::sin(pitch))});
      }
    }
    return directions;
  }();
  return rays;
}

namespace {

// Not inlined on purpose: GCC 12 at -O3 vectorised the inlined loop and
// used the double offsets in place of their float32 round trip for two of
// the end-point axes, which moved rays by one float32 ulp.
[[gnu::noinline]] float grid_coordinate(double position_m, float offset, float scale) {
  return static_cast<float>((position_m - static_cast<double>(offset)) / static_cast<double>(scale));
}

}  // namespace

GridRay to_grid_ray(const geom::VoxelGrid& grid, const Vec3& origin_m, const Vec3f& direction) {
  // The official scaler and offset are float32 tensors: the division is by
  // float32(0.4) widened to double, and the offsets are float32 values.
  const float scale = static_cast<float>(grid.voxel_size_m[0]);
  GridRay ray;
  for (int a = 0; a < 3; ++a) {
    const float offset = static_cast<float>(grid.origin_m[a]);
    ray.origin[a] = grid_coordinate(origin_m[a], offset, scale);
    ray.end[a] = grid_coordinate(static_cast<double>(direction[a]) + origin_m[a], offset, scale);
  }
  return ray;
}

namespace {

// Per-ray state shared by both traversal loops.
struct Walk {
  int vx, vy, vz;
  int step_x, step_y, step_z;
  double t_max_x, t_max_y, t_max_z;
  double t_delta_x, t_delta_y, t_delta_z;

  // One dvr.cu step: the tie rule is "x only if strictly first, then y if
  // strictly before z, else z". Returns the distance at which the ray leaves
  // the current voxel and the axis it crosses (0, 1, 2).
  double advance(int& axis) {
    double distance;
    if (t_max_x < t_max_y) {
      if (t_max_x < t_max_z) {
        distance = t_max_x;
        vx += step_x;
        t_max_x += t_delta_x;
        axis = 0;
      } else {
        distance = t_max_z;
        vz += step_z;
        t_max_z += t_delta_z;
        axis = 2;
      }
    } else if (t_max_y < t_max_z) {
      distance = t_max_y;
      vy += step_y;
      t_max_y += t_delta_y;
      axis = 1;
    } else {
      distance = t_max_z;
      vz += step_z;
      t_max_z += t_delta_z;
      axis = 2;
    }
    return distance;
  }
};

constexpr int kMaxStep = 1000;  // MAX_STEP in dvr.cu

// Marches `ray` through the grid, calling visit(voxel, distance) for each
// voxel inside it in order (flat index, distance at which the ray leaves it)
// until visit returns true. False when the ray never enters; else `voxel`
// and `distance` are those of the last voxel visited.
template <typename Visit>
bool walk(const geom::VoxelGrid& grid, const GridRay& ray, Visit&& visit, int64_t& voxel, double& distance) {
  const double xo = ray.origin[0], yo = ray.origin[1], zo = ray.origin[2];
  const double rx = static_cast<double>(ray.end[0]) - xo;
  const double ry = static_cast<double>(ray.end[1]) - yo;
  const double rz = static_cast<double>(ray.end[2]) - zo;
  const double length = std::sqrt(rx * rx + ry * ry + rz * rz);
  const double dx = rx / length, dy = ry / length, dz = rz / length;
  Walk w;
  w.vx = static_cast<int>(xo);  // int() truncates toward zero, as dvr.cu
  w.vy = static_cast<int>(yo);
  w.vz = static_cast<int>(zo);
  w.step_x = dx >= 0 ? 1 : -1;
  w.step_y = dy >= 0 ? 1 : -1;
  w.step_z = dz >= 0 ? 1 : -1;
  w.t_max_x = dx != 0 ? ((w.vx + (w.step_x < 0 ? 0 : 1)) - xo) / dx : DBL_MAX;
  w.t_max_y = dy != 0 ? ((w.vy + (w.step_y < 0 ? 0 : 1)) - yo) / dy : DBL_MAX;
  w.t_max_z = dz != 0 ? ((w.vz + (w.step_z < 0 ? 0 : 1)) - zo) / dz : DBL_MAX;
  w.t_delta_x = dx != 0 ? w.step_x / dx : DBL_MAX;
  w.t_delta_y = dy != 0 ? w.step_y / dy : DBL_MAX;
  w.t_delta_z = dz != 0 ? w.step_z / dz : DBL_MAX;
  const int nx = static_cast<int>(grid.shape[0]), ny = static_cast<int>(grid.shape[1]),
            nz = static_cast<int>(grid.shape[2]);
  auto inside = [&] { return w.vx >= 0 && w.vx < nx && w.vy >= 0 && w.vy < ny && w.vz >= 0 && w.vz < nz; };

  int step = 0;
  int axis = 0;
  // Until the ray enters (origins outside the grid): walk without reading voxels.
  while (!inside()) {
    w.advance(axis);
    if (++step > kMaxStep) return false;
  }
  // Inside: the flat index follows the walk, and only the crossed axis can leave the grid.
  const int64_t stride[3] = {static_cast<int64_t>(w.step_x) * ny * nz, static_cast<int64_t>(w.step_y) * nz,
                             static_cast<int64_t>(w.step_z)};
  voxel = (static_cast<int64_t>(w.vx) * ny + w.vy) * nz + w.vz;
  for (;;) {
    distance = w.advance(axis);
    if (visit(voxel, distance)) return true;
    const bool left = axis == 0   ? static_cast<unsigned>(w.vx) >= static_cast<unsigned>(nx)
                      : axis == 1 ? static_cast<unsigned>(w.vy) >= static_cast<unsigned>(ny)
                                  : static_cast<unsigned>(w.vz) >= static_cast<unsigned>(nz);
    if (left || ++step > kMaxStep) return true;
    voxel += stride[axis];
  }
}

}  // namespace

void march_pair(const uint8_t* occupancy, const geom::VoxelGrid& grid, const GridRay& ray, RayHit& hit_a,
                RayHit& hit_b) {
  hit_a = RayHit{};
  hit_b = RayHit{};
  bool found_a = false, found_b = false;
  auto visit = [&](int64_t voxel, double distance) {
    const uint8_t bits = occupancy[voxel];
    if (bits) {
      if (!found_a && (bits & 1)) {
        hit_a = RayHit{distance, voxel, true};
        found_a = true;
      }
      if (!found_b && (bits & 2)) {
        hit_b = RayHit{distance, voxel, true};
        found_b = true;
      }
    }
    return found_a && found_b;
  };
  int64_t voxel = 0;
  double distance = 0;
  if (!walk(grid, ray, visit, voxel, distance)) return;  // never entered: distance -1 at voxel 0
  // No hit: the exit distance and label of the last voxel inside.
  if (!found_a) hit_a = RayHit{distance, voxel, true};
  if (!found_b) hit_b = RayHit{distance, voxel, true};
}

RayHit march(const uint8_t* occupied, const geom::VoxelGrid& grid, const GridRay& ray) {
  int64_t voxel = 0;
  double distance = 0;
  if (!walk(
          grid, ray, [&](int64_t v, double) { return occupied[v] != 0; }, voxel, distance))
    return RayHit{};
  return RayHit{distance, voxel, true};
}

std::vector<RayHit> cast_rays(const uint8_t* occupied, const geom::VoxelGrid& grid, const Vec3& origin_m,
                              const std::vector<Vec3f>& directions) {
  std::vector<RayHit> hits;
  hits.reserve(directions.size());
  for (const Vec3f& direction : directions)
    hits.push_back(march(occupied, grid, to_grid_ray(grid, origin_m, direction)));
  return hits;
}

float depth_metres(const RayHit& hit, double voxel_m) {
  return static_cast<float>(hit.distance) * static_cast<float>(voxel_m);
}

}  // namespace occ::metrics
