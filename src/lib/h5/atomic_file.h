#pragma once
// Atomic replacement of an output path: write to a temporary in the same
// folder (so rename is atomic on one file system), fsync it, rename it over
// the output, fsync the folder. Until commit() the output path is untouched;
// a crash leaves at most the temporary, and errors and SIGINT/SIGTERM remove
// it (core/signals.h).
#include <string>

namespace occ::h5 {

class AtomicPath {
 public:
  // Creates the temporary file right away, so an unwritable folder is
  // reported before any work is done. Throws IoError naming `final_path`.
  explicit AtomicPath(std::string final_path);
  ~AtomicPath();
  AtomicPath(const AtomicPath&) = delete;
  AtomicPath& operator=(const AtomicPath&) = delete;

  const std::string& final_path() const { return final_path_; }
  const std::string& temp_path() const { return temp_path_; }
  bool committed() const { return committed_; }

  // The writer must have closed the temporary before this is called.
  void commit();
  // Removes the temporary now (also done by the destructor if not committed).
  void discard();

 private:
  std::string final_path_;
  std::string temp_path_;
  int signal_slot_ = -1;
  bool committed_ = false;
};

}  // namespace occ::h5
