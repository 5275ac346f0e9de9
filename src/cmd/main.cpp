// occ: one binary of subcommands. main only dispatches: it prints the
// grouped command table, parses the chosen command's options, runs it, and
// is the single place where errors become messages and exit codes
// (0 ok, 1 failure, 2 usage).
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "common.h"
#include "core/error.h"
#include "core/library_versions.h"
#include "core/log.h"
#include "core/provenance.h"
#include "core/signals.h"
#include "core/version.h"
#include "nn/runtime.h"

namespace {

using occ::cmd::Command;

void print_usage(std::ostream& out) {
  out << "occ " << OCC_VERSION << ": camera-based 3D occupancy and occupancy-flow learning\n\n"
      << "usage: occ <command> [options] [arguments]\n"
      << "       occ help <command>     (same as occ <command> --help)\n"
      << "       occ --version\n";
  for (const auto& group : occ::cmd::command_groups()) {
    bool printed_heading = false;
    for (const auto& command : occ::cmd::command_table()) {
      if (group != command.group) continue;
      if (!printed_heading) out << "\n" << group << ":\n";
      printed_heading = true;
      std::string name = command.name;
      name.resize(std::max<size_t>(name.size() + 2, 16), ' ');
      out << "  " << name << command.summary << "\n";
    }
  }
  out << "\nGlobal options of every command: -j/--threads N, -v/--verbose, -q/--quiet, --debug\n"
      << "Manual pages: man occ, man occ-<command>\n";
}

void print_version(std::ostream& out) {
  out << "occ " << OCC_VERSION << "\n";
  out << "LibTorch " << occ::nn::torch_version() << "\n";
  for (const auto& [name, version] : occ::library_versions()) out << name << " " << version << "\n";
  out << "CUDA " << (occ::nn::cuda_available() ? "available" : "not available") << "\n";
}

// Builds the parser of one command: its own options plus the global ones.
struct ParsedCommand {
  std::unique_ptr<CLI::App> app;
  occ::cmd::GlobalOptions globals;
  occ::cmd::Runner runner;
};

std::unique_ptr<ParsedCommand> build_command(const Command& command) {
  auto parsed = std::make_unique<ParsedCommand>();
  parsed->app = std::make_unique<CLI::App>(std::string(command.summary), std::string("occ ") + command.name);
  CLI::App& app = *parsed->app;
  app.option_defaults()->always_capture_default();
  app.set_help_flag("-h,--help", "print this help and exit");
  app.get_formatter()->column_width(34);
  parsed->runner = command.register_options(app);
  occ::cmd::add_global_options(app, parsed->globals);
  app.footer(std::string("See man occ-") + command.name + " for details and examples.");
  return parsed;
}

// Flushes stdout and reports a failed write (full disk, closed pipe), so a
// command never exits 0 with its output lost.
int finish_stdout(int status) {
  std::cout.flush();
  if (std::fflush(stdout) != 0 || std::ferror(stdout) || std::fclose(stdout) != 0) {
    const int saved = errno;
    std::fprintf(stderr, "%s: error writing standard output: %s\n", occ::log::program_name().c_str(),
                 std::strerror(saved));
    return status == 0 ? 1 : status;
  }
  return status;
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {  // a usage error: the table goes to stderr
    print_usage(std::cerr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || (args[0] == "help" && args.size() == 1)) {
    print_usage(std::cout);
    return 0;
  }
  if (args[0] == "--version" || args[0] == "-V") {
    print_version(std::cout);
    return 0;
  }
  bool asked_help = false;
  if (args[0] == "help") {
    if (args.size() > 2) throw occ::UsageError("help takes one command name");
    args.erase(args.begin());
    asked_help = true;
  }
  const Command* command = occ::cmd::find_command(args[0]);
  if (!command) {
    throw occ::UsageError("unknown command " + occ::quoted(args[0]) + " (see 'occ --help')");
  }
  occ::log::set_program_name(std::string("occ ") + command->name);
  auto parsed = build_command(*command);
  if (asked_help) {
    std::cout << parsed->app->help();
    return 0;
  }
  // CLI11 takes arguments in reverse order when given a vector.
  std::vector<std::string> rest(args.rbegin(), args.rend() - 1);
  try {
    parsed->app->parse(rest);
  } catch (const CLI::CallForHelp&) {
    std::cout << parsed->app->help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << parsed->app->help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& error) {
    std::string message = error.what();
    // CLI11 capitalises its messages; ours start lowercase.
    if (!message.empty())
      message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    throw occ::UsageError(message + " (see 'occ " + command->name + " --help')");
  }
  occ::cmd::apply_global_options(parsed->globals);
  parsed->runner();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  occ::set_command_line(argc, argv);
  occ::install_signal_handlers();
  bool debug = false;
  for (int i = 1; i < argc; ++i) debug = debug || std::strcmp(argv[i], "--debug") == 0;
  if (debug) return finish_stdout(run(argc, argv));  // exceptions escape to the debugger
  int status = 0;
  try {
    status = run(argc, argv);
  } catch (const occ::Error& error) {
    std::cout.flush();
    std::fprintf(stderr, "%s: %s\n", occ::log::program_name().c_str(), error.what());
    status = error.exit_code();
  } catch (const std::exception& error) {
    std::cout.flush();
    std::fprintf(stderr, "%s: internal error: %s\n", occ::log::program_name().c_str(), error.what());
    status = 1;
  }
  return finish_stdout(status);
}
