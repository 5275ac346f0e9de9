#include "train/predictor.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <chrono>

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/half.h"
#include "models/occupancy_model.h"
#include "models/registry.h"
#include "train/data_loader.h"
#include "train/device.h"
#include "train/model_file.h"
#include "train/train_settings.h"

namespace occ::train {
namespace {

void require_same_grid(const models::GridSpec& model, const models::GridSpec& frames,
                       const std::string& model_path, const std::string& frames_path) {
  bool same = model.shape == frames.shape && model.num_classes == frames.num_classes &&
              model.free_class == frames.free_class;
  for (int axis = 0; axis < 3; ++axis) {
    same = same && std::abs(model.origin_m[axis] - frames.origin_m[axis]) < 1e-6 &&
           std::abs(model.voxel_size_m[axis] - frames.voxel_size_m[axis]) < 1e-6;
  }
  if (!same) {
    throw UsageError(str(quoted(model_path), " predicts a ", model.shape[0], "x", model.shape[1], "x",
                         model.shape[2], " grid of ", model.num_classes, " classes; ", quoted(frames_path),
                         " has a ", frames.shape[0], "x", frames.shape[1], "x", frames.shape[2], " grid of ",
                         frames.num_classes, " classes (or another origin or voxel size)"));
  }
}

}  // namespace

PredictResult run_prediction(const PredictRequest& request) {
  if (request.batch_size < 1) throw UsageError("--batch-size must be at least 1");
  const c10::Device device = parse_device(request.device);
  LoadedModel loaded = load_model_file(request.model_path);
  const FramesFile frames(request.frames_path);
  const models::GridSpec grid = grid_of_frames_file(request.frames_path);
  require_same_grid(loaded.contents.grid, grid, request.model_path, request.frames_path);
  const std::vector<int64_t> rows = keyframe_rows(request.frames_path);
  if (rows.empty()) throw FormatError(str(quoted(request.frames_path), " has no keyframes to predict"));

  const DataSettings data = parse_data_section(loaded.contents.config.at("data"));
  LoaderOptions options = LoaderOptions::single_pass(request.batch_size);
  options.with_targets = false;
  options.workers = data.workers;
  options.prefetch = data.prefetch;
  // Temporal models see their history keyframes at inference as in training.
  const models::ModelInputs inputs =
      models::find_model_kind(loaded.contents.model_kind).inputs(loaded.contents.config.at("model"));
  options.history_frames = inputs.history_frames;
  options.history_stride = inputs.history_stride;
  BatchLoader loader(request.frames_path, rows, data.image, options);

  models::OccupancyModel& model = *loaded.model;
  model.to(device);
  model.eval();
  models::StageClock clock;
  model.set_stage_clock(&clock);

  h5::OutputArtifact out(request.output_path, "pred", request.provenance);
  out.set_frames_uuid(frames.uuid());
  h5::File& file = out.file();
  h5::write_attribute(file, "/", "model_uuid",
                      h5::read_string_attribute(h5::File::open(request.model_path), "/", "uuid"));
  h5::write_attribute(file, "/", "class_names", frames.class_names());
  h5::write_attribute(file, "/", "free_class", static_cast<int64_t>(grid.free_class));
  h5::write_attribute(file, "/", "grid_shape", std::vector<int64_t>(grid.shape.begin(), grid.shape.end()));
  h5::write_attribute(file, "/", "grid_origin_m",
                      std::vector<double>(grid.origin_m.begin(), grid.origin_m.end()));
  h5::write_attribute(file, "/", "voxel_size_m",
                      std::vector<double>(grid.voxel_size_m.begin(), grid.voxel_size_m.end()));
  const int64_t count = static_cast<int64_t>(rows.size());
  const auto [gx, gy, gz] = grid.shape;
  h5::create_dataset(file, "/pred/frame", h5::DType::int32, {count});
  h5::create_dataset(file, "/pred/semantics", h5::DType::uint8, {count, gx, gy, gz});
  if (request.probabilities) {
    h5::create_dataset(file, "/pred/probabilities", h5::DType::float16,
                       {count, gx, gy, gz, grid.num_classes});
  }

  ProgressStyle style;
  if (request.quiet) style.mode = ProgressStyle::Mode::silent;
  Progress progress("predict", count, style);
  c10::NoGradGuard no_grad;
  int64_t written = 0;
  while (auto batch = loader.next()) {
    clock.mark("data");
    clock.start();
    const models::Batch on_device = batch->to(device);
    const models::ModelOutput output = model.forward(on_device);
    const at::Tensor semantics = model.predict_semantics(output).to(at::kCPU).contiguous();
    at::Tensor probabilities;
    if (request.probabilities) {
      // [B, C, X, Y, Z] -> [B, X, Y, Z, C] as the schema stores them.
      probabilities = at::softmax(output.logits, 1).permute({0, 2, 3, 4, 1}).to(at::kCPU).contiguous();
    }
    at::Tensor prototypes;
    if (request.prototypes) {
      const auto assignment = output.extras.find("prototype_assignment");
      if (assignment == output.extras.end())
        throw UsageError(str("--prototypes: the ", quoted(loaded.contents.model_kind), " model of ",
                             quoted(request.model_path),
                             " has no prototypes (a ProtoOcc model with model.proto_mapping on has)"));
      prototypes = assignment->second.to(at::kCPU).to(at::kInt).contiguous();  // [B, N, h, w]
      if (!file.exists("/pred/prototypes")) {
        h5::create_dataset(file, "/pred/prototypes", h5::DType::uint16,
                           {count, prototypes.size(1), prototypes.size(2), prototypes.size(3)});
        const at::Tensor grid_cells =
            output.extras.at("prototype_grid").to(at::kCPU).to(at::kInt).contiguous();
        h5::create_dataset(file, "/pred/prototype_grid", h5::DType::int32, {2});
        h5::write_rows(file, "/pred/prototype_grid", 0, 2, grid_cells.data_ptr<int32_t>());
      }
    }
    clock.start();
    const int64_t n = batch->size();
    std::vector<int32_t> frame_rows;
    for (int64_t row : batch->frames) frame_rows.push_back(static_cast<int32_t>(row));
    h5::write_rows(file, "/pred/frame", written, n, frame_rows.data());
    h5::write_rows(file, "/pred/semantics", written, n, semantics.data_ptr<uint8_t>());
    if (request.probabilities) {
      const float* values = probabilities.data_ptr<float>();
      std::vector<Half> halves(static_cast<size_t>(probabilities.numel()));
      for (size_t i = 0; i < halves.size(); ++i) halves[i] = float_to_half(values[i]);
      h5::write_rows(file, "/pred/probabilities", written, n, halves.data());
    }
    if (prototypes.defined()) {
      // Prototype ids are below M = ceil(h/r) * ceil(w/r) < 65536 cells.
      std::vector<uint16_t> ids(static_cast<size_t>(prototypes.numel()));
      const int32_t* values = prototypes.data_ptr<int32_t>();
      for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<uint16_t>(values[i]);
      h5::write_rows(file, "/pred/prototypes", written, n, ids.data());
    }
    written += n;
    clock.mark("write");
    progress.advance(n);
  }
  progress.finish();
  out.commit();
  PredictResult result;
  result.frames = written;
  result.stage_seconds = clock.seconds();
  return result;
}

}  // namespace occ::train
