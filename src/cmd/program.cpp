// The main program: prints the grouped command table, parses the chosen
// command's options, runs it or hands it to its module, and is the single
// place where errors become messages and exit codes (0 ok, 1 failure,
// 2 usage).
#include "program.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "core/error.h"
#include "core/log.h"
#include "core/provenance.h"
#include "core/signals.h"
#include "core/version.h"
#include "module.h"

namespace occ::cmd {
namespace {

void print_usage(std::ostream& out) {
  out << "occ " << OCC_VERSION << ": camera-based 3D occupancy and occupancy-flow learning\n\n"
      << "usage: occ <command> [options] [arguments]\n"
      << "       occ help <command>     (same as occ <command> --help)\n"
      << "       occ --version\n";
  for (const auto& group : command_groups()) {
    bool printed_heading = false;
    for (const auto& command : command_table()) {
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

// Builds the parser of one command: its own options plus the global ones.
struct ParsedCommand {
  std::unique_ptr<CLI::App> app;
  GlobalOptions globals;
  Runner runner;
};

std::unique_ptr<ParsedCommand> build_command(const Command& command, RegisterFunction register_options) {
  auto parsed = std::make_unique<ParsedCommand>();
  parsed->app = std::make_unique<CLI::App>(std::string(command.summary), std::string("occ ") + command.name);
  CLI::App& app = *parsed->app;
  app.option_defaults()->always_capture_default();
  app.set_help_flag("-h,--help", "print this help and exit");
  app.get_formatter()->column_width(34);
  parsed->runner = register_options(app);
  add_global_options(app, parsed->globals);
  app.footer(std::string("See man occ-") + command.name + " for details and examples.");
  return parsed;
}

const Registration* find_registration(const std::vector<Registration>& list, const char* name) {
  for (const auto& registration : list) {
    if (std::strcmp(registration.name, name) == 0) return &registration;
  }
  return nullptr;
}

// Flushes stdout and reports a failed write (full disk, closed pipe), so a
// command never exits 0 with its output lost.
int finish_stdout(int status) {
  std::cout.flush();
  if (std::fflush(stdout) != 0 || std::ferror(stdout) || std::fclose(stdout) != 0) {
    const int saved = errno;
    std::fprintf(stderr, "%s: error writing standard output: %s\n", log::program_name().c_str(),
                 std::strerror(saved));
    return status == 0 ? 1 : status;
  }
  return status;
}

// What run() decided: an exit status, or the module that runs the whole
// command line instead.
struct Outcome {
  int status = 0;
  Home hand_to = Home::executable;  // executable: nothing to hand over
};

Outcome hand_to(const Unit& unit, Home home, const std::string& what) {
  // A module is only ever opened by the executable: one module per process.
  if (unit.home != Home::executable || home == Home::executable)
    throw std::logic_error(what + " is not part of " + module_file(unit.home));
  return {0, home};
}

Outcome run(int argc, char** argv, const Unit& unit) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {  // a usage error: the table goes to stderr
    print_usage(std::cerr);
    return {2};
  }
  if (args[0] == "--help" || args[0] == "-h" || (args[0] == "help" && args.size() == 1)) {
    print_usage(std::cout);
    return {0};
  }
  if (args[0] == "--version" || args[0] == "-V") {
    if (!unit.print_version) return hand_to(unit, Home::torch_module, "--version");
    unit.print_version(std::cout);
    return {0};
  }
  bool asked_help = false;
  if (args[0] == "help") {
    if (args.size() > 2) throw UsageError("help takes one command name");
    args.erase(args.begin());
    asked_help = true;
  }
  const Command* command = find_command(args[0]);
  if (!command) throw UsageError("unknown command " + quoted(args[0]) + " (see 'occ --help')");
  log::set_program_name(std::string("occ ") + command->name);
  const Registration* registration = find_registration(unit.runs, command->name);
  const bool runs_here = registration != nullptr;
  if (!registration) registration = find_registration(unit.parses, command->name);
  if (!registration) return hand_to(unit, command->home, std::string("occ ") + command->name);
  auto parsed = build_command(*command, registration->register_options);
  if (asked_help) {
    std::cout << parsed->app->help();
    return {0};
  }
  // CLI11 takes arguments in reverse order when given a vector.
  std::vector<std::string> rest(args.rbegin(), args.rend() - 1);
  try {
    parsed->app->parse(rest);
  } catch (const CLI::CallForHelp&) {
    std::cout << parsed->app->help();
    return {0};
  } catch (const CLI::CallForAllHelp&) {
    std::cout << parsed->app->help("", CLI::AppFormatMode::All);
    return {0};
  } catch (const CLI::ParseError& error) {
    std::string message = error.what();
    // CLI11 capitalises its messages; ours start lowercase.
    if (!message.empty())
      message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
    throw UsageError(message + " (see 'occ " + command->name + " --help')");
  }
  // The options are valid: the module parses them again and runs.
  if (!runs_here) return hand_to(unit, command->home, std::string("occ ") + command->name);
  apply_global_options(parsed->globals, unit.apply_thread_budget);
  try {
    parsed->runner();
  } catch (const HandOver& hand_over) {
    return hand_to(unit, hand_over.home, std::string("occ ") + command->name);
  }
  return {0};
}

}  // namespace

int run_program(int argc, char** argv, const Unit& unit) {
  set_command_line(argc, argv);
  install_signal_handlers();
  bool debug = false;
  for (int i = 1; i < argc; ++i) debug = debug || std::strcmp(argv[i], "--debug") == 0;
  Outcome outcome;
  if (debug) {
    outcome = run(argc, argv, unit);  // exceptions escape to the debugger
  } else {
    try {
      outcome = run(argc, argv, unit);
    } catch (const Error& error) {
      std::cout.flush();
      std::fprintf(stderr, "%s: %s\n", log::program_name().c_str(), error.what());
      outcome = {error.exit_code()};
    } catch (const std::exception& error) {
      std::cout.flush();
      std::fprintf(stderr, "%s: internal error: %s\n", log::program_name().c_str(), error.what());
      outcome = {1};
    }
  }
  if (outcome.hand_to == Home::executable) return finish_stdout(outcome.status);
  // The module runs the whole command line with its own copy of the
  // libraries' state (log level, signal handlers, thread budget, provenance)
  // and flushes and closes stdout itself.
  std::cout.flush();
  std::fflush(stdout);
  ModuleMain module_main = nullptr;
  try {
    module_main = open_module(outcome.hand_to);
  } catch (const Error& error) {
    if (debug) throw;
    std::fprintf(stderr, "%s: %s\n", log::program_name().c_str(), error.what());
    return finish_stdout(error.exit_code());
  }
  return module_main(argc, argv);
}

}  // namespace occ::cmd
