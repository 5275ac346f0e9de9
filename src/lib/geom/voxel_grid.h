#pragma once
// A regular voxel grid of class labels in the ego frame, indexed [x, y, z]
// in C order (the layout of Occ3D and SemanticKITTI labels); voxel centre =
// origin_m + (index + 0.5) * voxel_size_m. The one grid type: synth, eval,
// render, export and the models (models::GridSpec) describe grids with it.
#include <array>
#include <cmath>
#include <cstdint>

#include "geom/vec3.h"

namespace occ::geom {

struct VoxelIndex {
  int x = 0, y = 0, z = 0;
};

// Defaults: Occ3D-nuScenes, 200 x 200 x 16 voxels of 0.4 m from
// (-40, -40, -1), 18 classes with free = 17.
struct VoxelGrid {
  std::array<int64_t, 3> shape{200, 200, 16};          // voxels along x, y, z
  std::array<double, 3> origin_m{-40.0, -40.0, -1.0};  // minimum corner
  std::array<double, 3> voxel_size_m{0.4, 0.4, 0.4};
  int64_t num_classes = 18;  // including the free class
  int64_t free_class = 17;

  // Occ3D-nuScenes: 200 x 200 x 16, 0.4 m, [-40, -40, -1, 40, 40, 5.4].
  static VoxelGrid occ3d_nuscenes();
  // SemanticKITTI: 256 x 256 x 32, 0.2 m, origin (0, -25.6, -2): 51.2 m
  // ahead; 20 learning classes, free = 0.
  static VoxelGrid semantickitti();

  int64_t count() const { return shape[0] * shape[1] * shape[2]; }
  int64_t linear(int64_t x, int64_t y, int64_t z) const { return (x * shape[1] + y) * shape[2] + z; }
  int64_t linear(const VoxelIndex& v) const { return linear(v.x, v.y, v.z); }
  // Equal edges: what RayIoU's ray casting needs.
  bool cubic() const { return voxel_size_m[1] == voxel_size_m[0] && voxel_size_m[2] == voxel_size_m[0]; }
  bool contains(const VoxelIndex& v) const {
    return v.x >= 0 && v.y >= 0 && v.z >= 0 && v.x < shape[0] && v.y < shape[1] && v.z < shape[2];
  }
  // False when the point lies outside the grid.
  bool voxel_of(const Vec3& p, VoxelIndex& out) const {
    out = {static_cast<int>(std::floor((p.x - origin_m[0]) / voxel_size_m[0])),
           static_cast<int>(std::floor((p.y - origin_m[1]) / voxel_size_m[1])),
           static_cast<int>(std::floor((p.z - origin_m[2]) / voxel_size_m[2]))};
    return contains(out);
  }
  Vec3 centre(int x, int y, int z) const {
    return {origin_m[0] + (x + 0.5) * voxel_size_m[0], origin_m[1] + (y + 0.5) * voxel_size_m[1],
            origin_m[2] + (z + 0.5) * voxel_size_m[2]};
  }
  Vec3 lower_corner() const { return {origin_m[0], origin_m[1], origin_m[2]}; }
  Vec3 upper_corner() const {
    return {origin_m[0] + shape[0] * voxel_size_m[0], origin_m[1] + shape[1] * voxel_size_m[1],
            origin_m[2] + shape[2] * voxel_size_m[2]};
  }
  double diagonal_m() const {
    return std::sqrt(voxel_size_m[0] * voxel_size_m[0] + voxel_size_m[1] * voxel_size_m[1] +
                     voxel_size_m[2] * voxel_size_m[2]);
  }
};

// Where a ray origin + t * direction (t >= 0) is inside the grid's box:
// false when it misses. Slab method.
bool clip_ray_to_grid(const VoxelGrid& grid, const Vec3& origin, const Vec3& direction, double& t_enter,
                      double& t_exit);

// Visits the voxels a ray segment [0, t_max] passes through, in order, with
// the ray parameters where it enters and leaves each; `visit(voxel, t_in,
// t_out)` returns false to stop. Amanatides & Woo, "A fast voxel traversal
// algorithm for ray tracing", Eurographics 1987.
template <typename Visit>
void traverse_voxels(const VoxelGrid& grid, const Vec3& origin, const Vec3& direction, double t_max,
                     Visit&& visit) {
  double t_enter = 0, t_exit = 0;
  if (!clip_ray_to_grid(grid, origin, direction, t_enter, t_exit)) return;
  t_exit = std::min(t_exit, t_max);
  if (t_enter >= t_exit) return;
  const double o[3] = {origin.x, origin.y, origin.z};
  const double d[3] = {direction.x, direction.y, direction.z};
  const double size[3] = {grid.voxel_size_m[0], grid.voxel_size_m[1], grid.voxel_size_m[2]};
  // Start a hair inside the grid so the first voxel is the one entered.
  const double t_start = t_enter + 1e-9;
  const double start[3] = {o[0] + d[0] * t_start, o[1] + d[1] * t_start, o[2] + d[2] * t_start};
  int cell[3], step[3];
  double t_next[3], t_delta[3];
  for (int a = 0; a < 3; ++a) {
    cell[a] = static_cast<int>(std::floor((start[a] - grid.origin_m[a]) / size[a]));
    cell[a] = std::max(0, std::min(static_cast<int>(grid.shape[a]) - 1, cell[a]));
    if (d[a] > 0) {
      step[a] = 1;
      t_delta[a] = size[a] / d[a];
      t_next[a] = (grid.origin_m[a] + (cell[a] + 1) * size[a] - o[a]) / d[a];
    } else if (d[a] < 0) {
      step[a] = -1;
      t_delta[a] = -size[a] / d[a];
      t_next[a] = (grid.origin_m[a] + cell[a] * size[a] - o[a]) / d[a];
    } else {
      step[a] = 0;
      t_delta[a] = INFINITY;
      t_next[a] = INFINITY;
    }
  }
  double t_in = t_enter;
  while (t_in < t_exit) {
    const int axis =
        t_next[0] < t_next[1] ? (t_next[0] < t_next[2] ? 0 : 2) : (t_next[1] < t_next[2] ? 1 : 2);
    const double t_out = std::min(t_next[axis], t_exit);
    if (!visit(VoxelIndex{cell[0], cell[1], cell[2]}, t_in, t_out)) return;
    t_in = t_out;
    cell[axis] += step[axis];
    if (cell[axis] < 0 || cell[axis] >= grid.shape[axis]) return;
    t_next[axis] += t_delta[axis];
  }
}

}  // namespace occ::geom
