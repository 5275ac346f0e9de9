#pragma once
// `occ prep merge`: declared here so prep.cpp only adds it to `occ prep`.
#include <CLI/CLI.hpp>

#include "datasets/frames_merge.h"

namespace occ::cmd {

// Adds the `merge` subcommand to `prep`, bound to `options`; prep_run.cpp
// runs it.
CLI::App* add_prep_merge(CLI::App& prep, datasets::MergeOptions* options);

}  // namespace occ::cmd
