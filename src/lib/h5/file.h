#pragma once
// An open HDF5 file. Every error names the file as the user knows it: for
// a file being written atomically that is the final path, not the temporary.
#include <string>
#include <vector>

#include "h5/handle.h"

namespace occ::h5 {

class File {
 public:
  // Opens an existing file read-only. Throws IoError when the file cannot be
  // read at all, FormatError when it is not (or no longer) valid HDF5.
  static File open(const std::string& path);
  // Creates (truncates) `storage_path`; messages use `display_path`.
  static File create(const std::string& storage_path, const std::string& display_path);

  File() = default;
  File(File&&) = default;
  File& operator=(File&&) = default;

  hid_t id() const { return handle_.id(); }
  bool is_open() const { return handle_.valid(); }
  const std::string& path() const { return display_path_; }
  bool writable() const { return writable_; }

  // True if a link `object_path` exists and resolves ("/a/b").
  bool exists(const std::string& object_path) const;
  bool is_dataset(const std::string& object_path) const;
  // Every dataset path in the file, depth first, sorted by name.
  std::vector<std::string> dataset_paths() const;

  // Flushes and closes; throws if HDF5 reports a failure (data not written).
  void close();

  // "'file.h5'" or "dataset '/x' in 'file.h5'", for messages.
  std::string where(const std::string& object_path = "") const;

 private:
  Handle handle_;
  std::string display_path_;
  bool writable_ = false;
};

// Opens the group or dataset `object_path`; throws naming file and object.
Handle open_object(const File& file, const std::string& object_path);

}  // namespace occ::h5
