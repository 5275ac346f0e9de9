#include "train/validation.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "h5/dataset.h"
#include "metrics/confusion.h"
#include "metrics/depth.h"
#include "models/occupancy_model.h"
#include "train/data_loader.h"
#include "train/image_transform.h"

namespace occ::train {
namespace {

// Eval mode without gradients for a scope; the mode is restored after.
struct EvaluationScope {
  explicit EvaluationScope(models::OccupancyModel& model)
      : model_(model), was_training_(model.is_training()) {
    model_.eval();
  }
  ~EvaluationScope() { model_.train(was_training_); }
  models::OccupancyModel& model_;
  bool was_training_;
  c10::NoGradGuard no_grad_;
};

}  // namespace

ValidationResult evaluate_miou(models::OccupancyModel& model, BatchLoader& loader,
                               const models::GridSpec& grid, const c10::Device& device) {
  const EvaluationScope scope(model);
  metrics::Occ3dMiou metric(static_cast<int>(grid.num_classes), static_cast<int>(grid.free_class));
  ValidationResult result;
  while (auto batch = loader.next()) {
    const models::Batch on_device = batch->to(device);
    const at::Tensor predicted =
        model.predict(model.forward(on_device), on_device, {}).semantics.to(at::kCPU).contiguous();
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
  result.miou = metric.miou();
  result.class_iou = metric.class_iou();
  return result;
}

DepthValidation evaluate_depth(models::OccupancyModel& model, BatchLoader& loader,
                               const std::string& frames_path, const c10::Device& device) {
  const FramesFile file(frames_path);
  if (!file.has("/cameras/depth"))
    throw FormatError(
        str(quoted(frames_path), " has no '/cameras/depth' to validate rendered depth against"));
  const h5::Shape stored = h5::dataset_info(file.file(), "/cameras/depth").shape;  // [N, C, H, W]
  const int stored_height = static_cast<int>(stored.at(2)), stored_width = static_cast<int>(stored.at(3));
  const EvaluationScope scope(model);
  metrics::DepthMetrics metric;
  models::PredictionRequest request;
  request.depth = true;
  while (auto batch = loader.next()) {
    const models::Batch on_device = batch->to(device);
    const at::Tensor depth = model.predict(model.forward(on_device), on_device, request)
                                 .depth.to(at::kCPU)
                                 .to(at::kFloat)
                                 .contiguous();
    if (!depth.defined() || depth.dim() != 4)
      throw Error("the model rendered no depth [B, N, H, W] for validation");
    const int height = static_cast<int>(depth.size(2)), width = static_cast<int>(depth.size(3));
    const std::vector<int> rows = nearest_exact_sources(stored_height, height);
    const std::vector<int> columns = nearest_exact_sources(stored_width, width);
    for (int64_t i = 0; i < batch->size(); ++i) {
      const int64_t row = batch->frames[static_cast<size_t>(i)];
      const std::vector<float> truth = h5::read_rows<float>(file.file(), "/cameras/depth", row, 1).values;
      for (int64_t camera = 0; camera < depth.size(1); ++camera) {
        std::vector<float> resized(static_cast<size_t>(height) * static_cast<size_t>(width));
        const size_t base = static_cast<size_t>(camera) * static_cast<size_t>(stored_height) * stored_width;
        for (int y = 0; y < height; ++y)
          for (int x = 0; x < width; ++x)
            resized[static_cast<size_t>(y) * width + x] =
                truth[base + static_cast<size_t>(rows[static_cast<size_t>(y)]) * stored_width +
                      static_cast<size_t>(columns[static_cast<size_t>(x)])];
        metric.add_image(resized.data(), depth[i][camera].data_ptr<float>(), height, width,
                         str(quoted(frames_path), " frame ", row, " camera ", camera));
      }
    }
  }
  const metrics::DepthErrors errors = metric.raw();
  return {errors.abs_rel, errors.sq_rel, errors.rmse, metric.images()};
}

}  // namespace occ::train
