#include "core/log.h"

#include <cstdio>
#include <mutex>

namespace occ::log {
namespace {

Level g_level = Level::normal;
std::string& name_storage() {
  static std::string name = "occ";
  return name;
}
std::mutex& stderr_mutex() {
  static std::mutex mutex;
  return mutex;
}

void write_line(const std::string& prefix, const std::string& message) {
  std::lock_guard<std::mutex> lock(stderr_mutex());
  std::fprintf(stderr, "%s%s\n", prefix.c_str(), message.c_str());
  std::fflush(stderr);
}

}  // namespace

void set_level(Level new_level) {
  g_level = new_level;
}
Level level() {
  return g_level;
}
void set_program_name(const std::string& name) {
  name_storage() = name;
}
const std::string& program_name() {
  return name_storage();
}

void error_line(const std::string& message) {
  write_line(program_name() + ": error: ", message);
}
void warning_line(const std::string& message) {
  if (g_level >= Level::normal) write_line(program_name() + ": warning: ", message);
}
void info_line(const std::string& message) {
  if (g_level >= Level::normal) write_line("", message);
}
void verbose_line(const std::string& message) {
  if (g_level >= Level::verbose) write_line("", message);
}
void debug_line(const std::string& message) {
  if (g_level >= Level::debug) write_line("debug: ", message);
}

}  // namespace occ::log
