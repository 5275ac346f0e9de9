#pragma once
// Options every command shares, and the helpers that declare them.
#include <CLI/CLI.hpp>

namespace occ::cmd {

struct GlobalOptions {
  int threads = 0;     // -j: 0 = all hardware threads
  int verbose = 0;     // -v count
  bool quiet = false;  // -q
  bool debug = false;  // --debug: let exceptions escape for a debugger
};

// -j/--threads, -v/--verbose, -q/--quiet, --debug.
void add_global_options(CLI::App& app, GlobalOptions& options);
// Applies -v/-q to logging and -j through apply_thread_budget (the unit's:
// occ::set_thread_budget, or nn::apply_thread_budget where LibTorch is linked).
void apply_global_options(const GlobalOptions& options, void (*apply_thread_budget)(int threads));
// --config FILE: read option values from a TOML file (commands with many options).
void add_config_option(CLI::App& app);

}  // namespace occ::cmd
