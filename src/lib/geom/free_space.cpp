#include "geom/free_space.h"

#include <algorithm>
#include <cmath>

#include "core/threads.h"

namespace occ::geom {
namespace {

// One pass of a 3-tap minimum along `axis` (0, 1 or 2) of a C-order grid.
void min_filter(const std::array<int, 3>& shape, int axis, const std::vector<uint8_t>& in,
                std::vector<uint8_t>& out) {
  const int64_t stride = axis == 0 ? int64_t(shape[1]) * shape[2] : axis == 1 ? shape[2] : 1;
  const int length = shape[static_cast<size_t>(axis)];
  parallel_for(shape[0], [&](int64_t x) {
    for (int y = 0; y < shape[1]; ++y) {
      for (int z = 0; z < shape[2]; ++z) {
        const int64_t i = (x * shape[1] + y) * shape[2] + z;
        const int position = axis == 0 ? int(x) : axis == 1 ? y : z;
        uint8_t value = in[size_t(i)];
        if (position > 0) value = std::min(value, in[size_t(i - stride)]);
        if (position + 1 < length) value = std::min(value, in[size_t(i + stride)]);
        out[size_t(i)] = value;
      }
    }
  });
}

}  // namespace

FreeSpace::FreeSpace(const VoxelGrid& grid, const std::vector<uint8_t>& occupied) : grid_(grid) {
  const size_t count = occupied.size();
  distance_.resize(count);
  for (size_t i = 0; i < count; ++i) distance_[i] = occupied[i] ? 0 : kMaxDistance;
  // d(v) = 1 + min of d over the 26 neighbours, capped: each round of a
  // separable 3x3x3 minimum settles one more unit of distance.
  std::vector<uint8_t> a(count), b(count);
  for (int round = 1; round < kMaxDistance; ++round) {
    min_filter(grid.shape, 0, distance_, a);
    min_filter(grid.shape, 1, a, b);
    min_filter(grid.shape, 2, b, a);
    bool changed = false;
    for (size_t i = 0; i < count; ++i) {
      const uint8_t candidate = static_cast<uint8_t>(a[i] + 1);
      if (candidate < distance_[i]) {
        distance_[i] = candidate;
        changed = true;
      }
    }
    if (!changed) break;
  }
}

bool FreeSpace::clear_line(const Vec3& origin, const VoxelIndex& target, const Vec3& point) const {
  const Vec3 delta = point - origin;
  const double length = delta.norm();
  if (length <= 0) return true;
  const Vec3 direction = delta * (1.0 / length);
  // Grid coordinates: one unit per voxel, so faces sit at whole numbers.
  double o[3], d[3], inverse[3];
  const double p[3] = {origin.x, origin.y, origin.z}, dm[3] = {direction.x, direction.y, direction.z};
  for (size_t a = 0; a < 3; ++a) {
    o[a] = (p[a] - grid_.origin_m[a]) / grid_.voxel_size_m[a];
    d[a] = dm[a] / grid_.voxel_size_m[a];
    inverse[a] = d[a] != 0 ? 1.0 / d[a] : INFINITY;
  }
  double t = 0;
  const bool inside = o[0] >= 0 && o[1] >= 0 && o[2] >= 0 && o[0] < grid_.shape[0] && o[1] < grid_.shape[1] &&
                      o[2] < grid_.shape[2];
  if (!inside) {
    double t_enter = 0, t_exit = 0;
    if (!clip_ray_to_grid(grid_, origin, direction, t_enter, t_exit)) return true;
    t = t_enter + 1e-9;
  }
  const int goal[3] = {target.x, target.y, target.z};
  int v[3];
  for (size_t a = 0; a < 3; ++a)
    v[a] = std::clamp(static_cast<int>(std::floor(o[a] + d[a] * t)), 0, grid_.shape[a] - 1);
  const int64_t stride_x = int64_t(grid_.shape[1]) * grid_.shape[2], stride_y = grid_.shape[2];
  for (;;) {
    if (v[0] == goal[0] && v[1] == goal[1] && v[2] == goal[2]) return true;
    const int radius = int(distance_[size_t(v[0] * stride_x + v[1] * stride_y + v[2])]) - 1;
    if (radius < 0) return false;
    // All voxels within `radius` of v are free: with the target among them
    // the rest of the segment stays in free space.
    if (std::abs(goal[0] - v[0]) <= radius && std::abs(goal[1] - v[1]) <= radius &&
        std::abs(goal[2] - v[2]) <= radius) {
      return true;
    }
    // Leave the cube through its nearest face along the ray.
    double t_leave = INFINITY;
    int exit_axis = 0;
    for (int a = 0; a < 3; ++a) {
      if (d[a] == 0) continue;
      const int face = d[a] > 0 ? v[a] + radius + 1 : v[a] - radius;
      const double t_face = (face - o[a]) * inverse[a];
      if (t_face < t_leave) {
        t_leave = t_face;
        exit_axis = a;
      }
    }
    if (t_leave >= length) return true;  // only rounding can bring us here
    for (int a = 0; a < 3; ++a) {
      int next;
      if (a == exit_axis) {
        next = d[a] > 0 ? v[a] + radius + 1 : v[a] - radius - 1;
      } else {
        next = std::clamp(static_cast<int>(std::floor(o[a] + d[a] * t_leave)), v[a] - radius, v[a] + radius);
      }
      if (next < 0 || next >= grid_.shape[static_cast<size_t>(a)]) return true;  // past the target: rounding
      v[a] = next;
    }
  }
}

}  // namespace occ::geom
