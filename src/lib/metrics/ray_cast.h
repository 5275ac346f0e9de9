#pragma once
// The ray casting behind RayIoU, reproducing SparseOcc's CUDA renderer
// (MCG-NJU/SparseOcc lib/dvr/dvr.cu, render_forward "test" phase, called from
// loaders/ray_metrics.py; the same code in OpenDriveLab/OccNet's challenge
// branch) on the CPU, including its float32 roundings, so our depths and hit
// voxels equal the official ones. occ eval's RayIoU and occ export's OpenOcc
// submission cast through it.
#include <array>
#include <cstdint>
#include <vector>

#include "geom/voxel_grid.h"

namespace occ::metrics {

using Vec3 = std::array<double, 3>;
using Vec3f = std::array<float, 3>;

// The 39 pitches x 360 azimuths of generate_lidar_rays() (ray_metrics.py):
// pitch_k = -(pi/2 - atan(k + 1)) for k < 10, then the last step repeated
// until the pitch reaches 0.21 rad; azimuth 0..359 degrees; pitch-major;
// unit vectors rounded to float32 as np.float32 does.
std::vector<double> lidar_pitches();
const std::vector<Vec3f>& lidar_ray_directions();

// One ray's start and end in grid units, rounded to float32 like the
// official `((p - pc_min) / voxel).float()` (computed in float64 first).
// The grid's voxels must be cubic (VoxelGrid::cubic()): voxel_size_m[0] is
// the edge.
struct GridRay {
  Vec3f origin;
  Vec3f end;
};
GridRay to_grid_ray(const geom::VoxelGrid& grid, const Vec3& origin_m, const Vec3f& direction);

// Result of marching one ray through one occupancy grid.
struct RayHit {
  double distance =
      -1;             // grid units: exit distance of the first occupied voxel, else of the last voxel inside
  int64_t voxel = 0;  // flat index of that voxel; 0 (voxel [0,0,0]) when the ray never enters, as dvr.cu
  bool entered = false;
};

// Marches a ray through two grids at once: bit 0 of `occupancy[v]` is grid A
// (ground truth), bit 1 grid B (prediction). The traversal is geometric only,
// so one walk serves both; it stops once both have hit.
// Amanatides-Woo in double precision as dvr.cu: start voxel int() (truncation)
// of the origin, step X only if tMaxX < tMaxY and tMaxX < tMaxZ, else Y if
// tMaxY < tMaxZ, else Z; at most 1000 steps; distance = tMax at which the
// ray leaves the voxel.
void march_pair(const uint8_t* occupancy, const geom::VoxelGrid& grid, const GridRay& ray, RayHit& hit_a,
                RayHit& hit_b);

// The same walk through one grid (`occupied[v]` nonzero = occupied): the
// exit distance of the first occupied voxel, else of the last voxel inside.
RayHit march(const uint8_t* occupied, const geom::VoxelGrid& grid, const GridRay& ray);
// march() of every direction from `origin_m` (metres, ego frame).
std::vector<RayHit> cast_rays(const uint8_t* occupied, const geom::VoxelGrid& grid, const Vec3& origin_m,
                              const std::vector<Vec3f>& directions);

// The depth in metres the official code reports: float32(distance) times
// float32(voxel size), in float32 (pred_dist *= _voxel_size on a float tensor).
float depth_metres(const RayHit& hit, double voxel_m);

}  // namespace occ::metrics
