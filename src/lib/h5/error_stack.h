#pragma once
// HDF5 reports errors on its own stack and, by default, prints them. occ
// silences the printing once and turns the stack into exception text.
#include <string>

namespace occ::h5 {

// Silences HDF5's automatic error printing and registers the zstd filter.
// Idempotent and thread-safe; every entry point of the h5 layer calls it.
void ensure_initialized();

// The most specific description on the current HDF5 error stack (or an
// empty string), and clears the stack.
std::string take_error_message();

// Throws FormatError or IoError "<what>: <hdf5 detail>" if id < 0.
[[noreturn]] void throw_last_error(const std::string& what);

}  // namespace occ::h5
