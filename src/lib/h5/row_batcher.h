#pragma once
// Holds the rows a frame-by-frame writer appends (occ prep's frames writers)
// and writes them a few frames at a time, so the chunks of several frames
// compress together on the thread budget (h5::write_rows_raw ->
// h5/chunk_writer). What ends up in the file is what writing each row at
// once would store; only the moment of writing moves. flush() before the
// file is closed: rows still held when the batcher is destroyed are dropped
// (a writer that fails half way leaves no output anyway).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "h5/dataset.h"

namespace occ::h5 {

class RowBatcher {
 public:
  // Writes out after `frames_per_batch` calls of end_frame() (at least 1),
  // or once about 64 MiB are held.
  RowBatcher(File& file, int64_t frames_per_batch);
  RowBatcher(const RowBatcher&) = delete;
  RowBatcher& operator=(const RowBatcher&) = delete;

  // Rows [first, first + count) of `path` (C order); consecutive adds to a
  // dataset extend one pending block, any other row writes the block first.
  template <typename T>
  void add(const std::string& path, int64_t first, int64_t count, const T* data) {
    add_raw(path, first, count, dtype_of<T>(), data);
  }
  void add_raw(const std::string& path, int64_t first, int64_t count, DType dtype, const void* data);
  void end_frame();
  void flush();

  // Frames per batch for the thread budget: two per thread.
  static int64_t default_frames();

 private:
  struct Pending {
    DType dtype = DType::other;
    size_t row_bytes = 0;
    int64_t first = 0, count = 0;
    std::vector<unsigned char> bytes;
  };
  void write(const std::string& path, Pending& pending);

  File& file_;
  int64_t frames_per_batch_ = 1, frames_ = 0;
  size_t held_bytes_ = 0;
  std::map<std::string, Pending> pending_;
};

}  // namespace occ::h5
