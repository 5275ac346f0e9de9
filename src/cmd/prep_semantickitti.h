#pragma once
// `occ prep semantickitti`: declared here so prep.cpp only adds it to `occ prep`.
#include <CLI/CLI.hpp>

#include "datasets/semantickitti_prep.h"

namespace occ::cmd {

// Adds the `semantickitti` subcommand to `prep`, bound to `options`; prep_run.cpp
// runs it.
CLI::App* add_prep_semantickitti(CLI::App& prep, datasets::SemanticKittiPrepOptions* options);

}  // namespace occ::cmd
