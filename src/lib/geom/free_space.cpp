#include "geom/free_space.h"

#include <algorithm>
#include <cmath>

#include "core/threads.h"

namespace occ::geom {
namespace {

// One pass of a 3-tap minimum along `axis` (0, 1 or 2) of a C-order grid.
void min_filter(const std::array<int64_t, 3>& shape, int axis, const std::vector<uint8_t>& in,
                std::vector<uint8_t>& out) {
  const int64_t stride = axis == 0 ? shape[1] * shape[2] : axis == 1 ? shape[2] : 1;
  const int64_t length = shape[static_cast<size_t>(axis)];
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
  // Walked from the target back to the sensor: a hidden voxel is usually
  // hidden by something near it, found after a few jumps, while the free
  // space next to the sensor costs the same either way.
  const Vec3 delta = origin - point;
  const double length = delta.norm();
  if (length <= 0) return true;
  const Vec3 direction = delta * (1.0 / length);
  // Grid coordinates: one unit per voxel, so faces sit at whole numbers.
  double o[3], d[3], inverse[3];
  const double p[3] = {point.x, point.y, point.z}, dm[3] = {direction.x, direction.y, direction.z};
  const double s[3] = {origin.x, origin.y, origin.z};
  int sensor[3];
  for (size_t a = 0; a < 3; ++a) {
    o[a] = (p[a] - grid_.origin_m[a]) / grid_.voxel_size_m[a];
    d[a] = dm[a] / grid_.voxel_size_m[a];
    inverse[a] = d[a] != 0 ? 1.0 / d[a] : INFINITY;
    sensor[a] = static_cast<int>(std::floor((s[a] - grid_.origin_m[a]) / grid_.voxel_size_m[a]));
  }
  int v[3] = {target.x, target.y, target.z};
  const int64_t stride_x = int64_t(grid_.shape[1]) * grid_.shape[2], stride_y = grid_.shape[2];
  bool at_target = true;  // the target itself never blocks
  for (;;) {
    int radius = 0;
    if (!at_target) {
      radius = int(distance_[size_t(v[0] * stride_x + v[1] * stride_y + v[2])]) - 1;
      if (radius < 0) return false;
      // All voxels within `radius` of v are free: with the sensor among them
      // the rest of the segment stays in free space.
      if (std::abs(sensor[0] - v[0]) <= radius && std::abs(sensor[1] - v[1]) <= radius &&
          std::abs(sensor[2] - v[2]) <= radius) {
        return true;
      }
    }
    at_target = false;
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
    if (t_leave >= length) return true;  // the sensor lies before that face
    for (int a = 0; a < 3; ++a) {
      int next;
      if (a == exit_axis) {
        next = d[a] > 0 ? v[a] + radius + 1 : v[a] - radius - 1;
      } else {
        next = std::clamp(static_cast<int>(std::floor(o[a] + d[a] * t_leave)), v[a] - radius, v[a] + radius);
      }
      if (next < 0 || next >= grid_.shape[static_cast<size_t>(a)])
        return true;  // the rest is outside the grid
      v[a] = next;
    }
  }
}

}  // namespace occ::geom
