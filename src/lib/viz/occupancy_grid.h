#pragma once
// One frame's semantic occupancy as the views draw it.
#include <array>
#include <cstdint>
#include <vector>

namespace occ::viz {

struct OccupancyGrid {
  std::array<int64_t, 3> shape{};  // voxels along x, y, z
  std::array<double, 3> origin{};  // minimum corner, ego frame, metres
  std::array<double, 3> voxel{};   // voxel size, metres
  int free_class = 17;
  std::vector<uint8_t> labels;   // [x][y][z]
  std::vector<uint8_t> visible;  // optional [x][y][z]: 1 where cameras see the voxel
  std::vector<float> flow;       // optional [x][y][z][2]: m/s

  int64_t index(int64_t x, int64_t y, int64_t z) const { return (x * shape[1] + y) * shape[2] + z; }
  // Occupied and, when `camera_only` and a mask is present, camera-visible.
  bool shown(int64_t i, bool camera_only) const {
    return labels[i] != free_class && (!camera_only || visible.empty() || visible[i]);
  }
};

}  // namespace occ::viz
