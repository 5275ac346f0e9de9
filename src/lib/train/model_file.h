#pragma once
// Model files (schema occ.model): what `occ train` writes as checkpoints and
// at the end, and what `occ predict` and `occ train --resume` read.
//   attributes  model (kind), config (JSON: model, data and train sections),
//               step, frames_uuid
//   /weights/<module path>   parameters and buffers ('.' -> '/')
//   /optimizer/...           AdamW moments by parameter name, update count
//   /rng/cpu                 LibTorch's CPU generator state (dropout)
//   /log/<column>            the training log, one row per logged step
#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/batch.h"

namespace occ::models {
class OccupancyModel;
}

namespace occ::train {

class AdamW;

// Columns of the training log, all the same length.
using TrainingLog = std::map<std::string, std::vector<double>>;

struct ModelFileContents {
  std::string model_kind;
  std::string uuid;  // of the file read (set by load_model_file)
  nlohmann::json config;
  int64_t step = 0;
  std::string frames_uuid;
  models::GridSpec grid;
  TrainingLog log;
};

// Writes a model file atomically (the previous file at `path` stays until the
// new one is complete). `optimizer` and `rng_state` may be null/undefined
// (a final model without training state is still resumable only with them).
void save_model_file(const std::string& path, const ModelFileContents& contents,
                     models::OccupancyModel& model, const AdamW* optimizer, const at::Tensor& rng_state,
                     const nlohmann::json& provenance);

struct LoadedModel {
  ModelFileContents contents;
  std::shared_ptr<models::OccupancyModel> model;
};

// Opens and validates a model file, builds the model of its kind from its
// configuration and loads every parameter and buffer. Throws FormatError
// naming the file and the parameter on a missing, unexpected or mis-shaped
// weight, and UsageError for an unknown model kind.
LoadedModel load_model_file(const std::string& path);

// What a warm start (occ train --init-from) took from another model file.
struct WarmStart {
  int64_t loaded = 0;                   // tensors copied (same module path and shape)
  std::vector<std::string> missing;     // the model's tensors the file lacks (left as initialised)
  std::vector<std::string> unexpected;  // the file's tensors the model lacks (ignored)
  std::vector<std::string> mismatched;  // same path, another shape (left as initialised)
};

// Copies every parameter and buffer of `model` whose module path and shape
// match a weight of the model file at `path` (of any kind: stage 2 from
// stage 1, ProtoOcc from a baseline); no optimiser or generator state. With
// `strict`, throws FormatError naming the file and the first differences
// unless every tensor matched both ways.
WarmStart init_from_model_file(const std::string& path, models::OccupancyModel& model, bool strict);

// Restores the optimiser moments and the CPU generator state saved with the
// model (for --resume). Throws FormatError when the file has none.
void load_training_state(const std::string& path, AdamW& optimizer, at::Tensor& rng_state);

}  // namespace occ::train
