#pragma once
// `occ prep semantickitti`: SemanticKITTI scene completion sequences into a
// frames file. One row per scan with voxel files (every 5th scan), linked in
// scan order; the Velodyne frame is the ego frame and the Velodyne of scan 0
// the world; /occupancy/semantics holds the learning classes of the .label
// voxels (255 where the benchmark ignores a voxel) and mask_lidar the voxels
// that are not .invalid. SemanticKITTI has no camera visibility mask.
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/sequence_prep_options.h"

namespace occ::datasets {

// dataroot: holds sequences/<seq>/; sequences: "08", ...; empty: every sequence with voxels/.
using SemanticKittiPrepOptions = SequencePrepOptions;

struct SemanticKittiPrepReport {
  int64_t frames = 0;
  int64_t sequences = 0;
  double seconds = 0;
};

SemanticKittiPrepReport prep_semantickitti(const SemanticKittiPrepOptions& options);

}  // namespace occ::datasets
