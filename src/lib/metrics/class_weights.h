#pragma once
// Class weights of a cross-entropy from the class frequencies of the training
// frames (the baseline's model.loss_ce_class_weighting): rarer classes count
// more, so a class left out in the first hundreds of steps (terrain, manmade)
// costs more than a free voxel.
#include <cstdint>
#include <vector>

namespace occ::metrics {

// Inverse log frequency, w_c = 1 / ln(n_c + 0.001) with n_c the voxel count
// of class c: the class_balance weights of the BEVDet/FlashOcc occupancy
// heads (Yzichen/FlashOCC, projects/mmdet3d_plugin/models/dense_heads/
// bev_occ_head.py, BEVOCCHead3D, from nuScenes' class voxel counts). A class
// that never occurs (n_c = 0) gets 0: no target carries it, and ln(0.001) < 0
// would give a negative weight. Throws UsageError for a negative count or an
// empty list.
std::vector<double> inverse_log_frequency_weights(const std::vector<int64_t>& counts);

}  // namespace occ::metrics
