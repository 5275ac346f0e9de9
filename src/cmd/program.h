#pragma once
// The main program of occ, shared by the executable and the command modules
// it opens on demand (docs/startup.md). Each of them is a "unit" that runs
// some of the commands of the one command table (commands.h) and hands the
// others to the module the table names: the executable itself links neither
// LibTorch nor OpenCV's codec, video and contrib modules, so `occ --help`,
// `occ inspect` and the options of the data commands answer at once.
#include <iosfwd>
#include <vector>

#include "commands.h"

namespace occ::cmd {

struct Registration {
  const char* name;  // as in the command table
  RegisterFunction register_options;
};

struct Unit {
  Home home;  // which unit this is
  // Commands this unit parses and runs.
  std::vector<Registration> runs;
  // Commands this unit only parses (so --help and usage errors need no
  // module) before handing the whole command line to the command's module.
  std::vector<Registration> parses;
  // Applies -j to the process (LibTorch's pool too, in the torch module).
  void (*apply_thread_budget)(int threads);
  // Prints `occ --version`; null: the torch module does (where LibTorch has
  // CUDA, only its runtime can say whether CUDA is available; main.cpp).
  void (*print_version)(std::ostream& out);
};

// Thrown by a runner of the executable, before it has done anything, when
// this command line runs in a module after all (`occ eval --metric
// sceneflow` needs OpenCV's codecs): the executable then hands the whole
// command line to `home`, as for a command it only parses.
struct HandOver {
  Home home;
};

// argc/argv as main gets them; returns the exit status (0 ok, 1 failure,
// 2 usage, 130 interrupted) after flushing and closing stdout.
int run_program(int argc, char** argv, const Unit& unit);

}  // namespace occ::cmd
