#pragma once
// `occ prep semantickitti`: declared here so prep.cpp only adds it to `occ prep`.
#include <CLI/CLI.hpp>

#include "commands.h"

namespace occ::cmd {

// Adds the `semantickitti` subcommand to `prep`; the runner does nothing unless it was chosen.
Runner add_prep_semantickitti(CLI::App& prep);

}  // namespace occ::cmd
