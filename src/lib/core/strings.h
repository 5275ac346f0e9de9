#pragma once
// Small string helpers used to build messages without a formatting library.
#include <sstream>
#include <string>
#include <vector>

namespace occ {

// Concatenate anything streamable: str("got ", 3, " frames").
template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

template <typename Range>
std::string join(const Range& items, const std::string& separator) {
  std::ostringstream out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out << separator;
    out << item;
    first = false;
  }
  return out.str();
}

}  // namespace occ
