#include "h5/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/signals.h"
#include "core/strings.h"

namespace occ::h5 {
namespace {

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void fsync_path(const std::string& path, int flags, const std::string& final_path) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw IoError(str("cannot sync ", quoted(final_path), ": ", std::strerror(errno)));
  const int status = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  // Some file systems (and folders on them) cannot be synced: EINVAL means
  // "not supported", which is not a failure to keep the data.
  if (status != 0 && saved != EINVAL) {
    throw IoError(str("cannot sync ", quoted(final_path), ": ", std::strerror(saved)));
  }
}

}  // namespace

AtomicPath::AtomicPath(std::string final_path) : final_path_(std::move(final_path)) {
  if (final_path_.empty()) throw UsageError("the output path is empty");
  struct stat status {};
  if (stat(final_path_.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) {
    throw IoError(str("cannot write ", quoted(final_path_), ": is a directory"));
  }
  static std::atomic<int> counter{0};
  // The final name stays at the end, so tools that choose a format by
  // extension (OpenCV's image and video writers) see the right one.
  temp_path_ = str(folder_of(final_path_), "/.tmp.", getpid(), ".", counter++, ".", name_of(final_path_));
  signal_slot_ = register_temp_path(temp_path_);
  const int fd = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int saved = errno;
    unregister_temp_path(signal_slot_);
    throw IoError(str("cannot write ", quoted(final_path_), ": ", std::strerror(saved)));
  }
  ::close(fd);
}

AtomicPath::~AtomicPath() {
  discard();
}

void AtomicPath::discard() {
  if (committed_ || temp_path_.empty()) return;
  ::unlink(temp_path_.c_str());
  unregister_temp_path(signal_slot_);
  signal_slot_ = -1;
  temp_path_.clear();
}

void AtomicPath::commit() {
  if (committed_) return;
  if (temp_path_.empty()) throw Error(str("internal: ", quoted(final_path_), " was discarded before commit"));
  fsync_path(temp_path_, O_RDONLY | O_CLOEXEC, final_path_);
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    throw IoError(str("cannot write ", quoted(final_path_), ": ", std::strerror(errno)));
  }
  committed_ = true;
  unregister_temp_path(signal_slot_);
  signal_slot_ = -1;
  fsync_path(folder_of(final_path_), O_RDONLY | O_DIRECTORY | O_CLOEXEC, final_path_);
}

}  // namespace occ::h5
