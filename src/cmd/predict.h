#pragma once
// occ predict's options and its run, apart (as eval.h): the executable
// declares the options, the model kinds' extra outputs among them, from
// their torch-free description (models/model_catalog.h), and the torch
// module runs the command (program.h).
#include <CLI/CLI.hpp>

#include "train/predictor.h"

namespace occ::cmd {

struct PredictCli {
  train::PredictRequest request;  // a plain struct: its header needs no LibTorch
  bool layer_prior = false;       // --layer-prior: `model` is a training frames file
};

// predict.cpp
void add_predict_options(CLI::App& app, PredictCli* cli);
// predict_run.cpp
void run_predict(PredictCli& cli);

}  // namespace occ::cmd
