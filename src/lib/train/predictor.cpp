#include "train/predictor.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <chrono>

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "datasets/pred_file.h"
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

// The storage of a defined prediction field: created on the first batch
// with the batch's trailing shape, then filled row by row.
struct OutputField {
  std::string dataset;  // /pred/<name>
  h5::DType dtype;
  bool once_per_file = false;
};

// Writes rows [first, first + B) of `dataset` from a CPU tensor [B, ...]
// (or, once per file, the whole tensor), converted to the storage type.
void write_field(h5::File& file, const OutputField& field, int64_t first, int64_t count,
                 const at::Tensor& value, int64_t total_rows) {
  const at::Tensor cpu = value.detach().to(at::kCPU).contiguous();
  if (!file.exists(field.dataset)) {
    std::vector<int64_t> shape(cpu.sizes().begin(), cpu.sizes().end());
    if (!field.once_per_file) shape.front() = total_rows;
    h5::create_dataset(file, field.dataset, field.dtype, shape);
  } else if (field.once_per_file) {
    return;
  }
  const int64_t rows = field.once_per_file ? cpu.size(0) : count;
  const int64_t at = field.once_per_file ? 0 : first;
  switch (field.dtype) {
    case h5::DType::uint8: {
      const at::Tensor bytes = cpu.to(at::kByte).contiguous();
      h5::write_rows(file, field.dataset, at, rows, bytes.data_ptr<uint8_t>());
      return;
    }
    case h5::DType::uint16: {
      const at::Tensor wide = cpu.to(at::kInt).contiguous();
      std::vector<uint16_t> values(static_cast<size_t>(wide.numel()));
      const int32_t* source = wide.data_ptr<int32_t>();
      for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint16_t>(source[i]);
      h5::write_rows(file, field.dataset, at, rows, values.data());
      return;
    }
    case h5::DType::int32: {
      const at::Tensor ints = cpu.to(at::kInt).contiguous();
      h5::write_rows(file, field.dataset, at, rows, ints.data_ptr<int32_t>());
      return;
    }
    case h5::DType::float16: {
      const at::Tensor floats = cpu.to(at::kFloat).contiguous();
      const float* source = floats.data_ptr<float>();
      std::vector<Half> halves(static_cast<size_t>(floats.numel()));
      for (size_t i = 0; i < halves.size(); ++i) halves[i] = float_to_half(source[i]);
      h5::write_rows(file, field.dataset, at, rows, halves.data());
      return;
    }
    case h5::DType::float32: {
      const at::Tensor floats = cpu.to(at::kFloat).contiguous();
      h5::write_rows(file, field.dataset, at, rows, floats.data_ptr<float>());
      return;
    }
    default:
      throw Error(str("occ predict cannot store ", field.dataset, " as ", h5::dtype_name(field.dtype)));
  }
}

// Refuses, before any work, outputs the model's kind and configuration do
// not offer.
void require_outputs(const PredictRequest& request, const models::ModelKind& kind,
                     const models::ModelOutputs& outputs) {
  const std::string model = str("the ", quoted(kind.name), " model of ", quoted(request.model_path));
  if (request.probabilities && !outputs.probabilities)
    throw UsageError(str("--probabilities: ", model, " has no class logits"));
  if (request.depth && !outputs.depth) throw UsageError(str("--depth: ", model, " renders no depth"));
  for (const std::string& extra : request.extras) {
    bool offered = false;
    for (const std::string& name : outputs.extras) offered = offered || name == extra;
    if (offered) continue;
    bool declared = false;
    for (const models::ExtraOutput& output : kind.extra_outputs) declared = declared || output.name == extra;
    throw UsageError(str("--", extra, ": ", model, " has no ", extra,
                         declared && !outputs.extras_unavailable.empty()
                             ? str(" (", outputs.extras_unavailable, ")")
                             : std::string()));
  }
}

}  // namespace

PredictResult run_prediction(const PredictRequest& request) {
  if (request.batch_size < 1) throw UsageError("--batch-size must be at least 1");
  const c10::Device device = parse_device(request.device);
  LoadedModel loaded = load_model_file(request.model_path);
  const models::ModelKind& kind = models::find_model_kind(loaded.contents.model_kind);
  const nlohmann::json& model_config = loaded.contents.config.at("model");
  const models::ModelOutputs outputs = kind.outputs(model_config);
  require_outputs(request, kind, outputs);
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
  // What the model reads at inference as in training (history keyframes,
  // neighbours); masks and flow labels only serve training losses.
  options.ask_for(kind.inputs(model_config), /*training=*/false);
  BatchLoader loader(request.frames_path, rows, data.image, options);

  models::PredictionRequest wants;
  wants.probabilities = request.probabilities;
  wants.depth = request.depth;
  wants.extras = request.extras;
  // Where each extra's datasets go, by name.
  std::map<std::string, OutputField> extra_fields;
  for (const models::ExtraOutput& extra : kind.extra_outputs) {
    for (const models::ExtraDataset& dataset : extra.datasets)
      extra_fields[dataset.name] = {"/pred/" + dataset.name, dataset.dtype, dataset.once_per_file};
  }

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
  if (outputs.geometry_only) h5::write_attribute(file, "/", "geometry_only", int64_t{1});
  const int64_t count = static_cast<int64_t>(rows.size());
  h5::create_dataset(file, pred_dataset::kFrame, h5::DType::int32, {count});

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
    const models::Prediction prediction = model.predict(output, on_device, wants);
    if (!prediction.semantics.defined()) throw Error(str("the ", kind.name, " model predicted no semantics"));
    // Every defined standard field, then the extras the request named.
    std::vector<std::pair<OutputField, at::Tensor>> fields = {
        {{pred_dataset::kSemantics, h5::DType::uint8}, prediction.semantics},
        {{pred_dataset::kProbabilities, h5::DType::float16},
         request.probabilities ? prediction.probabilities : at::Tensor()},
        {{pred_dataset::kFlow, h5::DType::float16}, prediction.flow},
        {{pred_dataset::kSdf, h5::DType::float32}, prediction.sdf},
        {{pred_dataset::kOccupancyProbability, h5::DType::float16}, prediction.occupancy_probability},
        {{pred_dataset::kDepth, h5::DType::float32}, request.depth ? prediction.depth : at::Tensor()},
    };
    for (const auto& [name, value] : prediction.extras) {
      const auto field = extra_fields.find(name);
      if (field == extra_fields.end())
        throw Error(
            str("the ", kind.name, " model predicted ", quoted(name), ", which its kind does not declare"));
      fields.emplace_back(field->second, value);
    }
    clock.start();
    const int64_t n = batch->size();
    std::vector<int32_t> frame_rows;
    for (int64_t row : batch->frames) frame_rows.push_back(static_cast<int32_t>(row));
    h5::write_rows(file, pred_dataset::kFrame, written, n, frame_rows.data());
    for (const auto& [field, value] : fields) {
      if (value.defined()) write_field(file, field, written, n, value, count);
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
