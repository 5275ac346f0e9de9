#pragma once
// `occ train`: the training loop shared by every model kind. It builds the
// model from the registry, reads batches in background threads, runs AdamW
// with per-group learning-rate multipliers, warm-up and a cosine or step
// schedule, gradient clipping and accumulation; it checkpoints atomically,
// resumes bit for bit, stops cleanly on SIGINT/SIGTERM with a checkpoint, and
// stops on a NaN/Inf loss naming the step and the term.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/registry.h"
#include "train/model_file.h"
#include "train/run_config.h"

namespace occ::train {

// One row of the training log as (column, value) pairs.
using LogRow = std::vector<std::pair<std::string, double>>;

struct TrainRequest {
  std::string frames_path;
  std::string val_path;  // optional: validation mIoU on these frames
  // Superpixel masks (occ cluster-masks) made from frames_path, for models
  // that read them (ProtoOcc); training batches only, never validation.
  std::string masks_path;
  // Flow labels (occ flow-labels) made from frames_path, for kinds that read
  // them (Let Occ Flow); training batches only.
  std::string flow_labels_path;
  std::string output_path;       // the model file (checkpoints overwrite it)
  std::string resume_path;       // optional: continue this run
  std::string backbone_weights;  // optional: image backbone from Python
  // Optional warm start: the matching tensors of another model file (not a
  // resume: step, optimiser and log start afresh); init_strict requires
  // every tensor to match.
  std::string init_from;
  bool init_strict = false;
  ConfigRequest config;        // kind, size, --config, --set (a resumed run keeps its model section)
  std::string device = "cpu";  // cpu or cuda
  // Stop after this many steps of this invocation with a checkpoint, as if
  // interrupted (0: run to the end); lets a run be split across sessions.
  int64_t stop_after_steps = 0;
  bool quiet = false;
  nlohmann::json provenance;  // options recorded in the model file
  // Called with every log row (CSV file, TensorBoard); may be empty.
  std::function<void(int64_t step, const LogRow& row)> on_log;
};

struct TrainResult {
  int64_t step = 0;          // optimiser steps done in total
  bool finished = false;     // reached train.steps
  bool interrupted = false;  // stopped by a signal (checkpoint written)
  TrainingLog log;
};

TrainResult run_training(const TrainRequest& request);

// The masks file the training loader reads, given what the model kind needs
// with its configuration: `masks_path` when it reads masks (UsageError naming
// --masks when none is given); empty, with a warning that the file is
// ignored, when it does not.
std::string masks_for_model(const models::ModelInputs& needs, const std::string& model_kind,
                            const std::string& masks_path);
// The same for flow labels and --flow.
std::string flow_labels_for_model(const models::ModelInputs& needs, const std::string& model_kind,
                                  const std::string& flow_path);

// The rows a kind trains on: keyframes with 3D targets for supervised kinds,
// keyframes with a neighbour for self-supervised ones. Throws FormatError
// naming the file when there are none.
std::vector<int64_t> training_rows(const models::ModelKind& kind, const models::ModelInputs& inputs,
                                   const std::string& frames_path);

}  // namespace occ::train
