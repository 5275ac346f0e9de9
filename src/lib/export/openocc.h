#pragma once
// pred -> the CVPR 2024 Occupancy and Flow challenge submission (OpenOcc,
// OpenDriveLab/OccNet branch "challenge", README "Submission format"):
// a gzip-compressed pickle of
//   {'method': str, 'team': str, 'authors': [str], 'e-mail': str,
//    'institution / company': str, 'country / region': str,
//    'results': {sample_token: {'pcd_cls': uint8 [N], 'pcd_dist': float16 [N],
//                               'pcd_flow': float16 [N, 2]}}}
// where N = 14,040 rays x (up to 8) LiDAR origins, unfiltered, origin-major
// then pitch then azimuth, cast through the predicted grid as RayIoU does
// (metrics/ray_cast.h). Classes are renumbered to the OpenOcc order by name
// (car 0 ... vegetation 15, free 16); Occ3D's 'others' has no OpenOcc class
// and becomes free (CHOSEN: it does not stop rays). Flow is /pred/flow (m/s)
// at the voxel each ray stops in.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/openocc_labels.h"
#include "export/pred_source.h"

namespace occ {
class FramesFile;
}

namespace occ::exporting {

struct SubmissionInfo {
  std::string method = "occ";
  std::string team;
  std::vector<std::string> authors;
  std::string email;
  std::string institution;
  std::string country;
};

// OpenOcc class names in id order, free last (occ prep nuscenes --openocc
// reads the same numbering).
using datasets::openocc_class_names;
// OpenOcc id for each of `class_names`; throws naming a class with no counterpart.
std::vector<uint8_t> openocc_class_map(const std::vector<std::string>& class_names);

// Ray origins of a frame in its ego frame (SparseOcc EgoPoseDataset): the
// LiDAR origins of every keyframe of its scene in time order, moved into
// this frame's ego frame, kept where |x| < 39 and |y| < 39 m, at most 8
// (picked at round(linspace(0, n - 1, 8))).
class RayOrigins {
 public:
  // Reads the poses, scenes and LiDAR origins of every frame once.
  explicit RayOrigins(const FramesFile& frames);
  std::vector<std::array<double, 3>> of(int64_t row) const;

 private:
  const FramesFile& frames_;
  std::vector<int32_t> scene_;
  std::vector<uint8_t> keyframe_;
  std::vector<int64_t> time_;
  std::vector<double> poses_, lidar_;
};

// `zero_flow` writes zero flow for a pred without /pred/flow (RayIoU-only
// submissions); otherwise such a pred is an error.
int64_t export_openocc(const PredSource& pred, const std::string& output, const SubmissionInfo& info,
                       bool zero_flow);

}  // namespace occ::exporting
