#pragma once
// occ train's options and its run, apart (as eval.h): the executable declares
// the options from the model kinds' torch-free description
// (models/model_catalog.h), so help and usage errors answer without
// LibTorch, and the torch module runs the command (program.h).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "models/model_catalog.h"
#include "train/log_sinks.h"

namespace occ::cmd {

// A kind's command-line shorthand (models::TrainSwitch) as the user gave it.
struct SwitchUse {
  const models::KindDescription* kind = nullptr;
  const models::TrainSwitch* option = nullptr;
  bool given = false;
  std::string value;
};

// What train::TrainRequest and its ConfigRequest take from the command line
// (train_run.cpp copies it over), with their defaults: a header that
// needs no LibTorch.
struct TrainCli {
  std::string frames_path;
  std::string output_path;
  std::string val_path;
  std::string masks_path;
  std::string flow_labels_path;
  std::string init_from;
  bool init_strict = false;
  std::string model_kind = "baseline";
  std::string size;
  std::string config_file;
  std::vector<std::string> assignments;
  std::string resume_path;
  std::string backbone_weights;
  std::string device = "cpu";
  int64_t stop_after_steps = 0;
  train::LogSinkPaths sinks;
  bool print_config = false;
  int nproc = 1;
  std::vector<std::unique_ptr<SwitchUse>> switches;
};

// train.cpp
void add_train_options(CLI::App& app, TrainCli* cli);
// train_run.cpp
void run_train(TrainCli& cli);

}  // namespace occ::cmd
