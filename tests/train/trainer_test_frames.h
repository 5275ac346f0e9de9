#pragma once
// A tiny synthetic world (occ prep synth) and a model configuration small
// enough to train in seconds on two cores, for the trainer and predict tests.
#include <string>
#include <vector>

#include "datasets/synth/options.h"
#include "datasets/synth/writer.h"
#include "support/tiny_models.h"
#include "train/trainer.h"

namespace occ::train::test {

// 1 scene of `frames` keyframes, 6 cameras of 32x56, a 20x20x4 grid of 4 m voxels.
inline void write_tiny_world(const std::string& path, int frames = 3, uint64_t seed = 0) {
  synth::SynthOptions options;
  options.output = path;
  options.scenes = 1;
  options.frames_per_scene = frames;
  options.seed = seed;
  options.image_size = "32x56";
  options.grid = "20,20,4,4.0,-40,-40,-1";
  synth::write_synth_dataset(options);
}

// The demo preset shrunk: query 5x5x2, 16 channels, every step logged.
inline std::vector<std::string> tiny_model_settings() {
  std::vector<std::string> settings = occ::test::tiny_baseline_settings();
  for (const char* setting :
       {"train.log_every=1", "train.schedule.warmup_steps=2", "train.optimizer.lr=0.005", "data.workers=1"})
    settings.push_back(setting);
  return settings;
}

inline TrainRequest tiny_request(const std::string& frames, const std::string& output, int64_t steps) {
  TrainRequest request;
  request.frames_path = frames;
  request.output_path = output;
  request.config.model_kind = "baseline";
  request.config.size = "demo";
  request.config.assignments = tiny_model_settings();
  request.config.assignments.push_back("train.steps=" + std::to_string(steps));
  request.quiet = true;
  return request;
}

}  // namespace occ::train::test
