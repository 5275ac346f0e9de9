#pragma once
// Occupancy ground truth of a Snapshot on the rig's voxel grid: a voxel is
// occupied when some solid holds one of its 27 sample points (as a voxel
// holding accumulated LiDAR points is occupied in Occ3D); its class is the
// most important solid's (moving things over parked things over structures over
// the ground). Flow is the rigid motion of the voxel's instance.
#include <cstdint>
#include <vector>

#include "datasets/synth/rig.h"
#include "datasets/synth/snapshot.h"

namespace occ::synth {

struct OccupancyFrame {
  std::vector<uint8_t> semantics;    // X*Y*Z class ids, free_class for empty
  std::vector<int32_t> instance;     // X*Y*Z instance ids, -1 for stuff and free
  std::vector<float> flow;           // X*Y*Z*2 m/s along ego x and y
  std::vector<uint8_t> mask_camera;  // X*Y*Z
  std::vector<uint8_t> mask_lidar;   // X*Y*Z
};

// The ground is a slab this thick below the road surface, so only the voxel
// layer holding the surface is occupied, not the earth beneath it.
constexpr double kGroundSlabM = 0.2;

void voxelize(const Snapshot& snapshot, const World& world, const Rig& rig, const geom::VoxelGrid& grid,
              OccupancyFrame& out);
// mask_camera: voxels seen by some camera (centre inside its image);
// mask_lidar: voxels seen from the LiDAR within its vertical field of view
// and range. `ground_z`: the road surface in the ego frame.
void compute_masks(const Rig& rig, const std::vector<geom::PinholeCamera>& cameras,
                   const geom::VoxelGrid& grid, double ground_z, OccupancyFrame& out);

}  // namespace occ::synth
