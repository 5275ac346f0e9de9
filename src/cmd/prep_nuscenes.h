#pragma once
// `occ prep nuscenes`: declared here so prep.cpp only adds it to `occ prep`.
#include <CLI/CLI.hpp>

#include "commands.h"

namespace occ::cmd {

// Adds the `nuscenes` subcommand to `prep`; the runner does nothing unless it was chosen.
Runner add_prep_nuscenes(CLI::App& prep);

}  // namespace occ::cmd
