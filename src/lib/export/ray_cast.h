#pragma once
// Ray casting through an occupancy grid the way the RayIoU metric does it
// (SparseOcc loaders/ray_metrics.py generate_lidar_rays and
// process_one_sample, lib/dvr/dvr.cu render_forward in "test" phase; the
// same code in OpenDriveLab/OccNet's challenge branch): rays from LiDAR
// origins in 39 pitches x 360 azimuths, marched voxel by voxel
// (Amanatides-Woo) in double precision.
// TODO(metrics): occ eval's RayIoU casts the same rays; share one caster.
#include <array>
#include <cstdint>
#include <vector>

#include "export/pred_source.h"

namespace occ::exporting {

// The 14,040 unit directions, pitch-major then azimuth 0..359 degrees,
// rounded to float32 as the official code stores them. Pitches:
// -(pi/2 - atan(k + 1)) for k = 0..9, then the last step repeated while
// the angle is below 0.21 rad (the nuScenes LiDAR's upper field of view).
const std::vector<std::array<float, 3>>& lidar_ray_directions();

struct RayHit {
  float distance_m = 0;            // -voxel size when the ray never enters the grid
  std::array<int32_t, 3> voxel{};  // where class and flow are read: (0,0,0) when never inside
};

// Casts every direction from `origin_m` (ego frame) through `occupied`
// ([X, Y, Z] C order, nonzero = occupied). The distance is the exit distance
// of the first occupied voxel; a ray that hits nothing reports the exit
// distance and the last voxel inside the grid. Voxels must be cubes.
std::vector<RayHit> cast_rays(const GridGeometry& geometry, const std::vector<uint8_t>& occupied,
                              const std::array<double, 3>& origin_m,
                              const std::vector<std::array<float, 3>>& directions);

}  // namespace occ::exporting
