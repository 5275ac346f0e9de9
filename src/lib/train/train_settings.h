#pragma once
// The "train" and "data" sections of a run's configuration: their defaults
// (every key a user may set with --config or --set) and the typed structs
// read from them.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/adamw.h"
#include "train/data_loader.h"
#include "train/lr_schedule.h"

namespace occ::train {

// One stage of a staged schedule (Let Occ Flow trains in two stages): for
// `steps` updates the listed parameter groups use these learning-rate
// multipliers instead of the model's (0 freezes a group).
struct TrainStage {
  int64_t steps = 0;
  std::map<std::string, double> lr_multipliers;
};

struct TrainSettings {
  int64_t steps = 1000;     // optimiser updates
  int batch_size = 1;       // frames per forward pass (per process)
  int accumulate = 1;       // forward passes per update (gradient accumulation)
  uint64_t seed = 0;        // weights, order of frames, augmentation, dropout
  AdamWOptions optimizer;   // decay and betas; the rate lives in `schedule`
  double grad_clip = 35.0;  // max global gradient norm; 0 turns clipping off
  LrSchedule schedule;
  int64_t checkpoint_every = 0;  // steps between checkpoints; 0: only at the end
  int64_t log_every = 10;        // steps per log row (losses averaged over them)
  int64_t val_every = 0;         // steps between validations with --val; 0: at the end only
  // Consecutive stages from step 0; steps after the last stage use the
  // model's multipliers. Empty: one stage.
  std::vector<TrainStage> stages;

  // The stage the update with 0-based index `step` belongs to, or nullptr.
  const TrainStage* stage_at(int64_t step) const;
};

struct DataSettings {
  ImageOptions image;
  int workers = 1;
  int prefetch = 2;
};

// PanoOcc's optimiser and schedule (../shared/reference/protoocc.md).
nlohmann::json default_train_section();
nlohmann::json default_data_section();

// Throws UsageError naming the key for out-of-range values.
TrainSettings parse_train_section(const nlohmann::json& section);
DataSettings parse_data_section(const nlohmann::json& section);

}  // namespace occ::train
