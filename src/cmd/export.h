#pragma once
// occ export's options and its run, apart (as eval.h): the executable
// declares the options (help and usage errors answer at once) and the data
// module runs the export (program.h).
#include <CLI/CLI.hpp>

#include "export/export.h"

namespace occ::cmd {

// export.cpp
void add_export_options(CLI::App& app, exporting::ExportOptions* options);
// export_run.cpp
void run_export(exporting::ExportOptions& options);

}  // namespace occ::cmd
