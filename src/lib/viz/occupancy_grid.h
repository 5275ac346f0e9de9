#pragma once
// One frame's semantic occupancy as the views draw it: the grid and its labels.
#include <cstdint>
#include <vector>

#include "geom/voxel_grid.h"

namespace occ::viz {

struct OccupancyGrid : geom::VoxelGrid {
  std::vector<uint8_t> labels;   // [x][y][z]
  std::vector<uint8_t> visible;  // optional [x][y][z]: 1 where cameras see the voxel
  std::vector<float> flow;       // optional [x][y][z][2]: m/s

  // Occupied and, when `camera_only` and a mask is present, camera-visible.
  bool shown(int64_t i, bool camera_only) const {
    return labels[i] != free_class && (!camera_only || visible.empty() || visible[i]);
  }
};

}  // namespace occ::viz
