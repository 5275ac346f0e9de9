#pragma once
// The command modules the occ executable opens on demand. A module is a
// shared library holding a whole unit of the main program (program.h) with
// its own copy of the libraries it links; its one entry point runs the
// command line like main does.
#include <string>

#include "commands.h"

namespace occ::cmd {

using ModuleMain = int (*)(int argc, char** argv);

// The module's file name, e.g. "libocc_torch_commands.so".
std::string module_file(Home home);
// Opens the module beside the running executable: <dir of occ>/<relative
// module folder of the installed layout>/<file> (bin/occ finds
// lib/occ/<file>), then <dir of occ>/<file> (the build tree). Throws
// occ::Error naming every path tried and why each failed, and when the module
// belongs to another build of occ.
ModuleMain open_module(Home home);

}  // namespace occ::cmd

// The entry points each module exports (its version script exports only these).
extern "C" {
int occ_module_main(int argc, char** argv);
const char* occ_module_version();
}
