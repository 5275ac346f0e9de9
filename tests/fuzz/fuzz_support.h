#pragma once
// Shared pieces of the libFuzzer targets. A reader may refuse an input only
// with an occ::Error (a message naming the file and what is wrong); any
// other exception escaping it is a finding, so the target aborts and
// libFuzzer saves the input.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>

#include "core/error.h"

namespace occ::fuzz {

// A file of this process's own under $TMPDIR, rewritten for each input
// (most readers take paths).
inline std::string scratch_path(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/occ_fuzz_" + std::to_string(getpid()) + "_" + name;
}

inline void write_bytes(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) std::abort();
}

// Runs `read`; an occ::Error is an accepted refusal, anything else aborts.
template <typename Read>
void expect_clean(Read read) {
  try {
    read();
  } catch (const Error&) {
  } catch (const std::exception& error) {
    std::fprintf(stderr, "not an occ::Error: %s\n", error.what());
    std::abort();
  }
}

}  // namespace occ::fuzz
