#pragma once
// `occ render`: pictures and videos of frames, predictions and pseudo labels.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace occ::viz {

struct RenderOptions {
  std::string input;  // a frames file or a pred file
  std::string gt;     // the frames file a pred file was made from (cameras, compare, ...)
  std::string masks;  // masks file for the masks view (and beside the prototypes view)
  std::string flow;   // flow file for the flow view
  std::vector<std::string> views = {"bev"};
  int64_t first_frame = 0;
  int64_t last_frame = 0;    // inclusive
  std::string output;        // .png/.jpg for one frame, .mp4/.avi for a range
  bool camera_only = false;  // only camera-visible voxels, as Occ3D evaluates
  bool overlay = false;      // cameras view: project occupancy onto the images
  int bev_pixels_per_voxel = 2;
  cv::Size voxel_size{960, 540};
  int camera_tile_width = 320;
  double fps = 2.0;  // video frame rate (nuScenes keyframes: 2 Hz)

  void validate() const;
};

// The views occ render knows, in the order they are documented.
const std::vector<std::string>& render_views();

struct RenderSummary {
  int64_t frames = 0;
  cv::Size size;
  double seconds = 0;
};

// Renders frames first..last to options.output (atomically).
RenderSummary render(const RenderOptions& options);

}  // namespace occ::viz
