#pragma once
// Small synthetic datasets for the tests: one scene, a few frames, small
// images, the rig's own grid, so every check runs in seconds.
#include <vector>

#include "datasets/synth/generator.h"

namespace occ::test {

inline synth::SynthOptions tiny_options(const std::string& rig = "nuscenes") {
  synth::SynthOptions options;
  options.output = "unused.h5";
  options.scenes = 1;
  options.frames_per_scene = 2;
  options.seed = 7;
  options.rig = rig;
  options.image_size = rig == "kitti" ? "48x160" : "48x88";
  return options;
}

inline std::vector<synth::SynthFrame> generate(synth::SynthGenerator& generator, int64_t count) {
  std::vector<synth::SynthFrame> frames;
  for (int64_t row = 0; row < count; ++row) frames.push_back(generator.frame(row));
  return frames;
}

}  // namespace occ::test
