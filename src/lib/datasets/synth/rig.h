#pragma once
// The sensor rigs of `occ prep synth`: cameras with real calibration, a
// spinning LiDAR, the occupancy grid and the label set of the dataset the
// rig imitates.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/synth/kinds.h"
#include "geom/pinhole.h"
#include "geom/voxel_grid.h"

namespace occ::synth {

struct LidarSpec {
  geom::Vec3 origin_in_ego;
  int beams = 32;
  double lowest_elevation_deg = -30.67;
  double highest_elevation_deg = 10.67;
  int azimuth_steps = 1084;
  double max_range_m = 70.0;
};

struct Rig {
  std::string name;
  std::vector<geom::PinholeCamera> cameras;  // at the native image size
  int native_height = 0, native_width = 0;
  int default_height = 0, default_width = 0;
  double ego_height_m = 0;  // height of the ego frame's origin above the ground
  LidarSpec lidar;
  geom::VoxelGrid grid;
  std::vector<std::string> class_names;
  int free_class = 0;
  std::array<uint8_t, kKindCount> class_of_kind{};

  uint8_t class_of(Kind kind) const { return class_of_kind[static_cast<int>(kind)]; }
  // The cameras rescaled to an image size.
  std::vector<geom::PinholeCamera> cameras_at(int height, int width) const;
};

// nuScenes: the six cameras of sample fd8420396768425eabec9bdddf7e64b6
// (mmdetection3d tests/data/nuscenes/nus_info.pkl), a 32-beam HDL-32E on the
// roof, the Occ3D grid and its 18 classes.
Rig nuscenes_rig();
// KITTI: camera 2 of tracking sequence 0001 (P2, R0_rect, Tr_velo_to_cam),
// the ego frame is the Velodyne HDL-64E frame, the SemanticKITTI grid and its
// 20 learning classes (0 = unlabeled/empty).
Rig kitti_rig();
// Throws UsageError for anything but "nuscenes" or "kitti".
Rig rig_by_name(const std::string& name);

}  // namespace occ::synth
