#pragma once
// `occ prep kitti-mot`: KITTI tracking sequences (image_02, calib, oxts,
// label_02) into a frames file: one row per image, consecutive frames linked
// by prev/next (10 Hz), the Velodyne frame as ego frame, poses from oxts,
// boxes with track ids. No occupancy (KITTI tracking has none); the grid and
// classes are SemanticKITTI's so boxes carry its class ids.
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/sequence_prep_options.h"

namespace occ::datasets {

// dataroot: training/ or testing/: image_02/, calib/, oxts/, label_02/; sequences: "0001", ...; empty: every
// folder of image_02/.
using KittiPrepOptions = SequencePrepOptions;

struct KittiPrepReport {
  int64_t frames = 0;
  int64_t sequences = 0;
  int64_t boxes = 0;
  double seconds = 0;
};

KittiPrepReport prep_kitti_tracking(const KittiPrepOptions& options);

}  // namespace occ::datasets
