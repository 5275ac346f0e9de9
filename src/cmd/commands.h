#pragma once
// The command table: the one place that lists occ's subcommands. Only
// commands that work are registered here; `occ --help`, `occ help CMD`, the
// man pages and the meta-tests all follow this table.
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

struct Command {
  const char* name;
  const char* summary;  // one line, lowercase, no final period
  const char* group;    // heading in `occ --help`
  RegisterFunction register_options;
};

const std::vector<Command>& command_table();
// Group headings in the order `occ --help` prints them.
const std::vector<std::string>& command_groups();
const Command* find_command(const std::string& name);

// One register function per command, each in src/cmd/<name>.cpp.
Runner register_cluster_masks(CLI::App& app);
Runner register_export(CLI::App& app);
Runner register_flow_labels(CLI::App& app);
Runner register_eval(CLI::App& app);
Runner register_inspect(CLI::App& app);
Runner register_render(CLI::App& app);
Runner register_predict(CLI::App& app);
Runner register_prep(CLI::App& app);
Runner register_train(CLI::App& app);

}  // namespace occ::cmd
