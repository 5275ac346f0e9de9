#include "export/output_folder.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/strings.h"

namespace occ::exporting {
namespace fs = std::filesystem;

OutputFolder::OutputFolder(std::string final_path) : final_path_(std::move(final_path)) {
  while (final_path_.size() > 1 && final_path_.back() == '/') final_path_.pop_back();
  if (final_path_.empty()) throw UsageError("the output path is empty");
  std::error_code error;
  const fs::file_status status = fs::symlink_status(final_path_, error);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      throw IoError(str("cannot write ", occ::quoted(final_path_), ": exists and is not a folder"));
    }
    if (!fs::is_empty(final_path_, error)) {
      throw IoError(str("cannot write ", occ::quoted(final_path_),
                        ": folder exists and is not empty (remove it or choose another output)"));
    }
  }
  const fs::path final(final_path_);
  const fs::path parent = final.has_parent_path() ? final.parent_path() : fs::path(".");
  static std::atomic<int> counter{0};
  temp_path_ = (parent / str(".", final.filename().string(), ".tmp.", getpid(), ".", counter++)).string();
  if (!fs::create_directory(temp_path_, error) || error) {
    throw IoError(str("cannot write ", occ::quoted(final_path_), ": ",
                      error ? error.message() : std::string("temporary folder exists")));
  }
}

OutputFolder::~OutputFolder() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(temp_path_, ignored);
}

std::string OutputFolder::file(const std::string& relative) const {
  const fs::path path = fs::path(temp_path_) / relative;
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  if (error) throw IoError(str("cannot write ", occ::quoted(display(relative)), ": ", error.message()));
  return path.string();
}

std::string OutputFolder::display(const std::string& relative) const {
  return (fs::path(final_path_) / relative).string();
}

void OutputFolder::commit() {
  if (committed_) return;
  // rename(2) replaces an empty folder atomically; a non-empty one fails.
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    throw IoError(str("cannot write ", occ::quoted(final_path_), ": ", std::strerror(errno)));
  }
  committed_ = true;
}

}  // namespace occ::exporting
