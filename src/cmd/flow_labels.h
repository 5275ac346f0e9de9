#pragma once
// occ flow-labels's options and its run, apart (as eval.h): the executable
// declares the options (help and usage errors answer at once) and the data
// module runs the command (program.h).
#include <string>

#include <CLI/CLI.hpp>

#include "labels/flow_labels.h"

namespace occ::cmd {

struct FlowLabelsCli {
  labels::FlowLabelOptions options;
  std::string size;
  std::string compression = "deflate";
};

// flow_labels.cpp
void add_flow_labels_options(CLI::App& app, FlowLabelsCli* cli);
// flow_labels_run.cpp
void run_flow_labels(FlowLabelsCli& cli);

}  // namespace occ::cmd
