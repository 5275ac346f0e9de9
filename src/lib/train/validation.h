#pragma once
// mIoU of a model over frames with targets (Occ3D's metric: camera-visible
// voxels, one confusion matrix over all frames), for validation during
// training and for the must-learn tests.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <vector>

#include "models/batch.h"

namespace occ::models {
class OccupancyModel;
}

namespace occ::train {

class BatchLoader;

struct ValidationResult {
  double miou = 0;  // NaN when no class occurs
  std::vector<double> class_iou;
  int64_t frames = 0;
};

// Runs the model in eval mode without gradients over every batch of a
// non-repeating loader with targets (mask_camera used when present); the
// model's train/eval mode is restored afterwards.
ValidationResult evaluate_miou(models::OccupancyModel& model, BatchLoader& loader,
                               const models::GridSpec& grid, const c10::Device& device);

}  // namespace occ::train
