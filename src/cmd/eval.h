#pragma once
// occ eval's options and its runs, apart: the executable declares the
// options and scores the voxel metrics itself (no OpenCV); sceneflow, which
// reads PNG files with OpenCV, runs in the data module (program.h).
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "metrics/evaluate.h"

namespace occ::cmd {

struct EvalCommand {
  metrics::EvalOptions eval;
  std::string metric_list = "miou";
  bool json = false;
  bool csv = false;
  bool all_voxels = false;
  std::string output;  // -o: also write the JSON report here
};

// eval.cpp
void add_eval_options(CLI::App& app, EvalCommand* command);
// eval_run.cpp: splits --metric and checks the options (UsageError), prints
// and writes the report, and the executable's run, which throws HandOver to
// the data module for sceneflow.
void prepare_eval(EvalCommand& command);
void print_eval_report(const EvalCommand& command, const nlohmann::ordered_json& report);
void run_eval(EvalCommand& command);
// eval_sceneflow_run.cpp: the data module's run, sceneflow included.
void run_eval_with_sceneflow(EvalCommand& command);

}  // namespace occ::cmd
