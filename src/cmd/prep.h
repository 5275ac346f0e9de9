#pragma once
// occ prep's options and its run, apart (as eval.h): the executable declares
// every subcommand's options (help and usage errors answer at once) and the
// data module runs the chosen one (program.h).
#include <string>

#include <CLI/CLI.hpp>

#include "datasets/frames_merge.h"
#include "datasets/kitti_prep.h"
#include "datasets/nuscenes_prep.h"
#include "datasets/semantickitti_prep.h"
#include "datasets/synth/options.h"

namespace occ::cmd {

struct PrepCli {
  std::string subcommand;  // the one given (prep requires exactly one)
  synth::SynthOptions synth;
  datasets::NuScenesPrepOptions nuscenes;
  datasets::KittiPrepOptions kitti_tracking;
  datasets::SemanticKittiPrepOptions semantickitti;
  datasets::MergeOptions merge;
};

// prep.cpp
void add_prep_options(CLI::App& app, PrepCli* cli);
// prep_run.cpp
void run_prep(PrepCli& cli);

}  // namespace occ::cmd
