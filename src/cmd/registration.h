#pragma once
// Register functions for commands whose options and run live apart (eval.h):
// the executable only declares the options, the module also runs.
#include <memory>

#include "commands.h"

namespace occ::cmd {

template <class Cli, void (*add_options)(CLI::App&, Cli*), void (*run)(Cli&)>
Runner declare_and_run(CLI::App& app) {
  auto cli = std::make_shared<Cli>();
  add_options(app, cli.get());
  return [cli] { run(*cli); };
}

// The runner only keeps the parsed values alive: program.cpp hands the
// command line to the module instead of running it.
template <class Cli, void (*add_options)(CLI::App&, Cli*)>
Runner declare_only(CLI::App& app) {
  auto cli = std::make_shared<Cli>();
  add_options(app, cli.get());
  return [cli] {};
}

}  // namespace occ::cmd
