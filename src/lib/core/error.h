#pragma once
// The one error path of occ: library code throws these, `main` catches them
// once and maps them to exit codes (UsageError -> 2, everything else -> 1).
// Messages are lowercase, name the problem first, quote the file and dataset,
// and carry no final period, e.g. "cannot open 'a.h5': not an HDF5 file".
#include <stdexcept>
#include <string>

namespace occ {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  virtual int exit_code() const { return 1; }
};

// The command line asked for something impossible (bad option value, missing
// argument). Exit code 2, as for CLI parse errors.
class UsageError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
};

// A file could not be opened, read, written, renamed or synced.
class IoError : public Error {
 public:
  using Error::Error;
};

// A file was read but its content is not what occ expects (not HDF5, wrong
// dtype, wrong shape, schema violation, mismatched provenance).
class FormatError : public Error {
 public:
  using Error::Error;
};

// A file does not follow its schema in data/schemas.
class SchemaError : public FormatError {
 public:
  using FormatError::FormatError;
};

// Work was stopped by SIGINT/SIGTERM.
class InterruptedError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 130; }
};

// Quote a file or dataset name for a message: 'name'.
std::string quoted(const std::string& name);
// For a non-const std::string, argument-dependent lookup would otherwise pick
// std::quoted (which takes a non-const string& for input) and print "name".
inline std::string quoted(std::string& name) {
  return quoted(static_cast<const std::string&>(name));
}

}  // namespace occ
