#pragma once
// Validation of a model over held-out frames during training, with the
// metrics its kind declares (models::ModelKind::validation): Occ3D mIoU
// (camera-visible voxels, one confusion matrix over all frames) for
// supervised kinds, depth errors of the rendered depth against
// /cameras/depth for kinds that render.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <utility>
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

// Depth errors (metrics/depth.h, monodepth2's) of the model's rendered depth
// against /cameras/depth of the loader's frames file, resized nearest to
// the network input; the model's mode is restored afterwards.
struct DepthValidation {
  double abs_rel = 0, sq_rel = 0, rmse = 0;
  int64_t images = 0;
};
DepthValidation evaluate_depth(models::OccupancyModel& model, BatchLoader& loader,
                               const std::string& frames_path, const c10::Device& device);

}  // namespace occ::train
