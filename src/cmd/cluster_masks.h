#pragma once
// occ cluster-masks's options and its run, apart (as eval.h): the executable
// declares the options (help and usage errors answer at once) and the data
// module runs the command (program.h).
#include <string>

#include <CLI/CLI.hpp>

#include "labels/cluster_masks.h"

namespace occ::cmd {

struct ClusterMasksCli {
  labels::ClusterMaskOptions options;
  std::string size;
  std::string compression = "deflate";
};

// cluster_masks.cpp
void add_cluster_masks_options(CLI::App& app, ClusterMasksCli* cli);
// cluster_masks_run.cpp
void run_cluster_masks(ClusterMasksCli& cli);

}  // namespace occ::cmd
