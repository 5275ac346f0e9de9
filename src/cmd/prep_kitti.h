#pragma once
// `occ prep kitti-mot`: declared here so prep.cpp only adds it to `occ prep`.
#include <CLI/CLI.hpp>

#include "commands.h"

namespace occ::cmd {

// Adds the `kitti-mot` subcommand to `prep`; the runner does nothing unless it was chosen.
Runner add_prep_kitti_tracking(CLI::App& prep);

}  // namespace occ::cmd
