#pragma once
// occ eval's options and its run, apart: the executable declares the options
// (help and usage errors answer at once) and the data module runs the
// command (program.h).
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
// eval_run.cpp
void run_eval(EvalCommand& command);

}  // namespace occ::cmd
