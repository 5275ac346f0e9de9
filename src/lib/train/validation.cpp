#include "train/validation.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "metrics/confusion.h"
#include "models/occupancy_model.h"
#include "train/data_loader.h"

namespace occ::train {

ValidationResult evaluate_miou(models::OccupancyModel& model, BatchLoader& loader,
                               const models::GridSpec& grid, const c10::Device& device) {
  const bool was_training = model.is_training();
  model.eval();
  c10::NoGradGuard no_grad;
  metrics::Occ3dMiou metric(static_cast<int>(grid.num_classes), static_cast<int>(grid.free_class));
  ValidationResult result;
  while (auto batch = loader.next()) {
    const models::Batch on_device = batch->to(device);
    const at::Tensor predicted = model.predict_semantics(model.forward(on_device)).to(at::kCPU).contiguous();
    const at::Tensor truth = batch->semantics.to(at::kByte).contiguous();
    const at::Tensor mask =
        batch->mask_camera.defined() ? batch->mask_camera.ne(0).to(at::kByte).contiguous() : at::Tensor();
    const int64_t voxels = truth[0].numel();
    for (int64_t i = 0; i < batch->size(); ++i) {
      metric.add(truth[i].data_ptr<uint8_t>(), predicted[i].data_ptr<uint8_t>(),
                 mask.defined() ? mask[i].data_ptr<uint8_t>() : nullptr, voxels);
    }
    result.frames += batch->size();
  }
  model.train(was_training);
  result.miou = metric.miou();
  result.class_iou = metric.class_iou();
  return result;
}

}  // namespace occ::train
