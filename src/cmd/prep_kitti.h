#pragma once
// `occ prep kitti-mot`: declared here so prep.cpp only adds it to `occ prep`.
#include <CLI/CLI.hpp>

#include "datasets/kitti_prep.h"

namespace occ::cmd {

// Adds the `kitti-mot` subcommand to `prep`, bound to `options`; prep_run.cpp
// runs it.
CLI::App* add_prep_kitti_tracking(CLI::App& prep, datasets::KittiPrepOptions* options);

}  // namespace occ::cmd
