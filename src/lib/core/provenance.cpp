#include "core/provenance.h"

#include <cstdio>
#include <ctime>
#include <random>

namespace occ {
namespace {

std::string& command_line_storage() {
  static std::string text;
  return text;
}

}  // namespace

std::string shell_quote(const std::string& argument) {
  if (argument.empty()) return "''";
  bool safe = true;
  for (char c : argument) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '/' || c == '=' || c == ':' || c == ',' ||
                       c == '+' || c == '@' || c == '%';
    if (!plain) safe = false;
  }
  if (safe) return argument;
  std::string quoted = "'";
  for (char c : argument) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

namespace {

std::vector<std::string>& command_arguments_storage() {
  static std::vector<std::string> arguments;
  return arguments;
}

}  // namespace

void set_command_line(int argc, const char* const* argv) {
  command_arguments_storage().assign(argv, argv + argc);
  std::string text;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) text += ' ';
    text += shell_quote(argv[i]);
  }
  command_line_storage() = text;
}

const std::string& command_line() {
  return command_line_storage();
}

const std::vector<std::string>& command_arguments() {
  return command_arguments_storage();
}

std::string make_uuid() {
  std::random_device device;
  unsigned char bytes[16];
  for (int i = 0; i < 16; i += 4) {
    const unsigned int value = device();
    for (int k = 0; k < 4; ++k) bytes[i + k] = static_cast<unsigned char>(value >> (8 * k));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return text;
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace occ
