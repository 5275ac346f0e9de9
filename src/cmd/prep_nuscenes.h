#pragma once
// `occ prep nuscenes`: declared here so prep.cpp only adds it to `occ prep`.
#include <CLI/CLI.hpp>

#include "datasets/nuscenes_prep.h"

namespace occ::cmd {

// Adds the `nuscenes` subcommand to `prep`, bound to `options`; prep_run.cpp
// runs it.
CLI::App* add_prep_nuscenes(CLI::App& prep, datasets::NuScenesPrepOptions* options);

}  // namespace occ::cmd
