#pragma once
// A small logging facility: everything goes to stderr so stdout stays clean
// for results. Verbosity is process-wide and set once from -v/-q.
#include <string>

#include "core/strings.h"

namespace occ::log {

enum class Level { quiet = 0, normal = 1, verbose = 2, debug = 3 };

void set_level(Level level);
Level level();
// The name used in message prefixes ("occ inspect"); set by main.
void set_program_name(const std::string& name);
const std::string& program_name();

// Always shown, even with -q: "occ <cmd>: error: ..." is printed by main, so
// this is for errors that do not stop the command.
void error_line(const std::string& message);
// "occ <cmd>: warning: ...", hidden by -q.
void warning_line(const std::string& message);
// Plain progress information, hidden by -q.
void info_line(const std::string& message);
// Shown with -v.
void verbose_line(const std::string& message);
// Shown with -vv.
void debug_line(const std::string& message);

template <typename... Args>
void warn(const Args&... args) {
  warning_line(str(args...));
}
template <typename... Args>
void info(const Args&... args) {
  if (level() >= Level::normal) info_line(str(args...));
}
template <typename... Args>
void verbose(const Args&... args) {
  if (level() >= Level::verbose) verbose_line(str(args...));
}
template <typename... Args>
void debug(const Args&... args) {
  if (level() >= Level::debug) debug_line(str(args...));
}

}  // namespace occ::log
