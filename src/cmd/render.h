#pragma once
// occ render's options and its run, apart (as eval.h): the executable
// declares the options (help and usage errors answer at once) and the data
// module runs the command (program.h).
#include <string>

#include <CLI/CLI.hpp>

#include "viz/render.h"

namespace occ::cmd {

struct RenderCli {
  viz::RenderOptions options;
  int64_t frame = 0;
  std::string frames;  // "A:B", inclusive
  std::string voxel_size = "540x960";
};

// render.cpp
void add_render_options(CLI::App& app, RenderCli* cli);
// render_run.cpp
void run_render(RenderCli& cli);

}  // namespace occ::cmd
