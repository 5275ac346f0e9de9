#include "common.h"

#include "core/log.h"

namespace occ::cmd {

void add_global_options(CLI::App& app, GlobalOptions& options) {
  app.add_option("-j,--threads", options.threads,
                 "threads for LibTorch, OpenCV and occ together (0: all cores)")
      ->check(CLI::NonNegativeNumber)
      ->group("Global options");
  app.add_flag("-v,--verbose", options.verbose, "more messages on stderr (-vv: debug)")
      ->configurable(false)
      ->group("Global options");
  app.add_flag("-q,--quiet", options.quiet, "no progress or information, only errors")
      ->configurable(false)
      ->group("Global options");
  app.add_flag("--debug", options.debug, "let errors escape with their stack for a debugger")
      ->configurable(false)
      ->group("Global options");
}

void apply_global_options(const GlobalOptions& options, void (*apply_thread_budget)(int threads)) {
  if (options.quiet) {
    log::set_level(log::Level::quiet);
  } else if (options.verbose >= 2) {
    log::set_level(log::Level::debug);
  } else if (options.verbose == 1) {
    log::set_level(log::Level::verbose);
  }
  apply_thread_budget(options.threads);
}

void add_config_option(CLI::App& app) {
  app.set_config("--config", "", "read option values from a TOML file (command-line values win)")
      ->group("Global options");
}

}  // namespace occ::cmd
