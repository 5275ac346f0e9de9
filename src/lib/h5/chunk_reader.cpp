#include "h5/chunk_reader.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "core/threads.h"
#include "h5/chunk_layout.h"
#include "h5/error_stack.h"

namespace occ::h5 {
namespace {

struct StoredChunk {
  std::vector<int64_t> offset;
  hsize_t bytes = 0;
};

// A buffer a thread keeps from chunk to chunk (the pool's threads live as
// long as the process), so reading does not allocate, and fault in fresh
// pages, for every chunk; one above kKeepBytes is given back after use.
class Scratch {
 public:
  static constexpr size_t kKeepBytes = size_t{16} << 20;
  unsigned char* get(size_t bytes) {
    if (bytes > capacity_) {
      data_.reset(new unsigned char[bytes]);
      capacity_ = bytes;
    }
    return data_.get();
  }
  void trim() {
    if (capacity_ > kKeepBytes) {
      data_.reset();
      capacity_ = 0;
    }
  }

 private:
  std::unique_ptr<unsigned char[]> data_;
  size_t capacity_ = 0;
};

// HDF5's error stacks are per thread in the thread-safe build: a pool thread
// turns off their printing before its first call (occ reports errors through
// exceptions).
void quiet_hdf5_errors_on_this_thread() {
  thread_local bool quiet = false;
  if (!quiet) H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  quiet = true;
}

int64_t product(const std::vector<int64_t>& dims, size_t from) {
  int64_t n = 1;
  for (size_t k = from; k < dims.size(); ++k) n *= dims[k];
  return n;
}

// Every chunk holding a row of `ranges`: axis-0 chunks in order, then the
// inner chunk grid in C order.
std::vector<StoredChunk> chunks_of(const ChunkLayout& layout, const std::vector<int64_t>& shape,
                                   const std::vector<RowRange>& ranges) {
  std::set<int64_t> rows_of_chunks;
  for (const auto& range : ranges) {
    if (range.count <= 0) continue;
    const int64_t last = (range.first + range.count - 1) / layout.chunk[0];
    for (int64_t c = range.first / layout.chunk[0]; c <= last; ++c) rows_of_chunks.insert(c);
  }
  const size_t rank = shape.size();
  std::vector<int64_t> grid(rank, 1);  // chunks along each inner axis
  for (size_t k = 1; k < rank; ++k) grid[k] = (shape[k] + layout.chunk[k] - 1) / layout.chunk[k];
  const int64_t inner = product(grid, 1);
  std::vector<StoredChunk> chunks;
  for (int64_t c0 : rows_of_chunks) {
    for (int64_t i = 0; i < inner; ++i) {
      StoredChunk chunk;
      chunk.offset.assign(rank, 0);
      chunk.offset[0] = c0 * layout.chunk[0];
      for (size_t k = rank, rest = static_cast<size_t>(i); k-- > 1;) {
        chunk.offset[k] = static_cast<int64_t>(rest % static_cast<size_t>(grid[k])) * layout.chunk[k];
        rest /= static_cast<size_t>(grid[k]);
      }
      chunks.push_back(std::move(chunk));
    }
  }
  return chunks;
}

// Copies the part of one decoded chunk that `ranges` ask for into `out`
// (ranges back to back, C order). Chunks are disjoint, so workers copying
// different chunks never write the same bytes.
void scatter(const ChunkLayout& layout, const std::vector<int64_t>& shape, const std::vector<int64_t>& offset,
             const unsigned char* decoded, const std::vector<RowRange>& ranges, unsigned char* out) {
  const size_t rank = shape.size(), element = layout.element_size;
  const int64_t chunk_row = product(layout.chunk, 1), out_row = product(shape, 1);
  // Extent of the chunk inside the dataset along each inner axis.
  std::vector<int64_t> extent(rank, 1);
  bool whole_rows = true;
  for (size_t k = 1; k < rank; ++k) {
    extent[k] = std::min(layout.chunk[k], shape[k] - offset[k]);
    whole_rows = whole_rows && offset[k] == 0 && layout.chunk[k] == shape[k];
  }
  int64_t base = 0;  // output row of the current range's first row
  for (const auto& range : ranges) {
    const int64_t lo = std::max(offset[0], range.first);
    const int64_t hi = std::min(offset[0] + layout.chunk[0], range.first + range.count);
    if (lo < hi && whole_rows) {  // rows are contiguous on both sides
      std::memcpy(out + static_cast<size_t>((base + lo - range.first) * out_row) * element,
                  decoded + static_cast<size_t>((lo - offset[0]) * chunk_row) * element,
                  static_cast<size_t>((hi - lo) * out_row) * element);
    }
    for (int64_t row = lo; row < hi && !whole_rows; ++row) {
      // An odometer over axes 1 .. rank-2; each position is one run along the last axis.
      std::vector<int64_t> at(rank, 0);
      const size_t run = static_cast<size_t>(extent[rank - 1]) * element;
      for (bool more = true; more;) {
        int64_t src = row - offset[0], dst = base + row - range.first;
        for (size_t k = 1; k < rank; ++k) {
          src = src * layout.chunk[k] + at[k];
          dst = dst * shape[k] + offset[k] + at[k];
        }
        std::memcpy(out + static_cast<size_t>(dst) * element, decoded + static_cast<size_t>(src) * element,
                    run);
        more = false;
        for (size_t k = rank - 1; k-- > 1 && !more;) {
          more = ++at[k] < extent[k];
          if (!more) at[k] = 0;
        }
      }
    }
    base += range.count;
  }
}

// Where the chunk at `offset` lies in `out` when it is exactly a block of
// whole output rows of one range (and of no other); null otherwise.
unsigned char* in_place(const ChunkLayout& layout, const std::vector<int64_t>& shape,
                        const std::vector<int64_t>& offset, const std::vector<RowRange>& ranges,
                        unsigned char* out) {
  for (size_t k = 1; k < shape.size(); ++k) {
    if (layout.chunk[k] != shape[k]) return nullptr;
  }
  if (offset[0] + layout.chunk[0] > shape[0]) return nullptr;  // a partial edge chunk
  unsigned char* at = nullptr;
  int64_t base = 0;
  for (const auto& range : ranges) {
    const bool meets = offset[0] < range.first + range.count && range.first < offset[0] + layout.chunk[0];
    const bool holds = range.first <= offset[0] && offset[0] + layout.chunk[0] <= range.first + range.count;
    if (meets && (!holds || at)) return nullptr;
    if (holds)
      at = out +
           static_cast<size_t>((base + offset[0] - range.first) * product(shape, 1)) * layout.element_size;
    base += range.count;
  }
  return at;
}

std::vector<hsize_t> to_hsize(const std::vector<int64_t>& values) {
  return {values.begin(), values.end()};
}

}  // namespace

bool read_chunked_rows(hid_t dataset, hid_t memory_type, const std::vector<int64_t>& shape,
                       const std::vector<RowRange>& ranges, void* out, const std::string& where) {
  const auto layout = direct_chunk_layout(dataset, memory_type);
  if (!layout || shape.empty() || shape.size() != layout->chunk.size()) return false;
  std::vector<StoredChunk> chunks = chunks_of(*layout, shape, ranges);
  // Sizes first: a chunk that was never written holds the fill value, which
  // only H5Dread supplies, so such a read goes there untouched.
  for (auto& chunk : chunks) {
    const auto offset = to_hsize(chunk.offset);
    if (H5Dget_chunk_storage_size(dataset, offset.data(), &chunk.bytes) < 0 || chunk.bytes == 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
  }
  auto* bytes = static_cast<unsigned char*>(out);
  const size_t chunk_bytes = layout->chunk_bytes();
  // Each task reads its chunk's stored bytes (H5Dread_chunk: HDF5's global
  // lock makes these calls take turns) and decodes them outside the lock,
  // so one thread's read overlaps the others' decoding; only one stored
  // chunk per thread is held at a time.
  parallel_for(static_cast<int64_t>(chunks.size()), [&](int64_t i) {
    thread_local Scratch stored, decoded;
    quiet_hdf5_errors_on_this_thread();
    const StoredChunk& chunk = chunks[static_cast<size_t>(i)];
    const auto offset = to_hsize(chunk.offset);
    unsigned filter_mask = 0;
    unsigned char* buffer = stored.get(static_cast<size_t>(chunk.bytes));
    if (H5Dread_chunk(dataset, H5P_DEFAULT, offset.data(), &filter_mask, buffer) < 0) {
      const std::string detail = take_error_message();
      throw FormatError(str(where, ": ", detail.empty() ? "read failed" : detail, " in ",
                            ChunkLayout::name(chunk.offset), " (truncated file?)"));
    }
    const std::string name = ChunkLayout::name(chunk.offset);
    unsigned char* direct = in_place(*layout, shape, chunk.offset, ranges, bytes);
    if (direct) {  // the chunk is whole rows of the output: decode straight there
      decode_chunk_into(layout->pipeline, filter_mask, buffer, static_cast<size_t>(chunk.bytes), chunk_bytes,
                        direct, where, name);
    } else {
      unsigned char* into = decoded.get(chunk_bytes);
      decode_chunk_into(layout->pipeline, filter_mask, buffer, static_cast<size_t>(chunk.bytes), chunk_bytes,
                        into, where, name);
      scatter(*layout, shape, chunk.offset, into, ranges, bytes);
      decoded.trim();
    }
    stored.trim();
  });
  return true;
}

}  // namespace occ::h5
