#pragma once
// The command table: the one place that lists occ's subcommands. Only
// commands that work are registered here; `occ --help`, `occ help CMD`, the
// man pages and the meta-tests all follow this table. Each entry also says
// where the command runs: in the occ executable, or in one of the two modules
// it opens on demand (program.h, docs/startup.md).
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace occ::cmd {

// Runs the command after its options have been parsed.
using Runner = std::function<void()>;
// Declares the command's options and arguments on `app` (bound to an options
// struct the returned runner owns) and returns the runner.
using RegisterFunction = Runner (*)(CLI::App& app);

// The unit that runs a command (module.h names the modules' files).
enum class Home {
  executable,    // occ itself: links HDF5 and zstd, not LibTorch or OpenCV's codecs
  data_module,   // libocc_data_commands.so: the torch-free commands that need OpenCV
  torch_module,  // libocc_torch_commands.so: the commands that need LibTorch
};

struct Command {
  const char* name;
  const char* summary;  // one line, lowercase, no final period
  const char* group;    // heading in `occ --help`
  Home home;
};

const std::vector<Command>& command_table();
// Group headings in the order `occ --help` prints them.
const std::vector<std::string>& command_groups();
const Command* find_command(const std::string& name);

// inspect, which the executable runs, has one register function
// (inspect.cpp). Every other command has its options and its run apart
// (<name>.h: <name>.cpp declares, <name>_run.cpp runs; registration.h) so
// that the executable declares its options and the command's module runs it.
Runner register_inspect(CLI::App& app);

}  // namespace occ::cmd
