#pragma once
// `occ prep synth`: generates the synthetic dataset and streams it, frame by
// frame, into a frames file (data/schemas/frames.json).
#include "datasets/synth/generator.h"
#include "datasets/synth/options.h"

namespace occ::synth {

struct SynthReport {
  int64_t frames = 0;
  int64_t lidar_points = 0;
  int64_t boxes = 0;
  StageSeconds seconds;
  double total_seconds = 0;
};

// Validates `options` (UsageError before anything is written), then writes
// the file atomically.
SynthReport write_synth_dataset(const SynthOptions& options);

}  // namespace occ::synth
