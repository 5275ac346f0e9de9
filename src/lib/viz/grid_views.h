#pragma once
// Views of the 3D grid: top-down (BEV), a shaded 3D rendering from behind
// and above the ego, occupancy flow, and GT | prediction | error comparison.
// Images are CV_8UC3 RGB.
#include <opencv2/core.hpp>

#include <vector>

#include "viz/occupancy_grid.h"

namespace occ::viz {

struct BevStyle {
  int pixels_per_voxel = 2;
  bool camera_only = false;  // draw only camera-visible voxels, as Occ3D evaluates
  bool ego_marker = true;
  bool scale_bar = true;
};

// Top-down: each column shows the class of its highest drawn voxel. Ego x
// (forward) points up, ego y (left) points left.
cv::Mat render_bev(const OccupancyGrid& grid, const std::vector<cv::Vec3b>& palette, const BevStyle& style);

// The pixel of the BEV image where the centre of column (x, y) is drawn.
cv::Point bev_pixel(const OccupancyGrid& grid, int64_t x, int64_t y, int pixels_per_voxel);

struct VoxelCamera {
  cv::Size size{1280, 720};
  double back_m = 28, up_m = 22, look_ahead_m = 12;  // eye behind and above the ego, looking ahead
  double vertical_fov_deg = 50;
  bool camera_only = false;
};

// Ray-cast rendering of occupied voxels: face shading by normal and depth
// cueing (fog with distance) so the structure reads.
cv::Mat render_voxels(const OccupancyGrid& grid, const std::vector<cv::Vec3b>& palette,
                      const VoxelCamera& camera);

// BEV of occupancy flow: hue = direction, saturation = speed (up to
// max_speed m/s), over the grey BEV of occupied columns; arrows every
// `arrow_step` voxels where something moves.
cv::Mat render_flow_bev(const OccupancyGrid& grid, double max_speed, const BevStyle& style,
                        int arrow_step = 8);

// Error BEV: columns whose drawn voxels disagree between GT and prediction
// in red, agreeing occupied columns grey. Both grids share the shape.
cv::Mat render_error_bev(const OccupancyGrid& truth, const OccupancyGrid& prediction, const BevStyle& style);

}  // namespace occ::viz
