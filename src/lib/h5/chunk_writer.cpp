#include "h5/chunk_writer.h"

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"
#include "core/threads.h"
#include "h5/chunk_layout.h"
#include "h5/error_stack.h"

namespace occ::h5 {
namespace {

// Encoded chunks held before they are handed to HDF5: bounds the memory of
// one large write.
constexpr size_t kWindowBytes = size_t{64} << 20;

}  // namespace

RowRange write_chunked_rows(hid_t dataset, hid_t memory_type, const std::vector<int64_t>& shape,
                            int64_t first, int64_t count, const void* data, const std::string& where) {
  const RowRange none{first, 0};
  const auto layout = direct_chunk_layout(dataset, memory_type);
  if (!layout || shape.empty() || shape.size() != layout->chunk.size() || count <= 0) return none;
  for (size_t k = 1; k < shape.size(); ++k) {
    if (layout->chunk[k] != shape[k]) return none;
  }
  const int64_t rows = layout->chunk[0];
  const int64_t begin = (first + rows - 1) / rows, end = (first + count) / rows;  // whole chunks
  if (end <= begin) return none;
  const size_t chunk_bytes = layout->chunk_bytes();
  const auto* bytes = static_cast<const unsigned char*>(data);
  const int64_t per_window = std::max<int64_t>(1, static_cast<int64_t>(kWindowBytes / chunk_bytes));
  std::vector<EncodedChunk> encoded;
  for (int64_t window = begin; window < end; window += per_window) {
    const int64_t n = std::min(per_window, end - window);
    encoded.assign(static_cast<size_t>(n), {});
    parallel_for(n, [&](int64_t i) {
      const int64_t row = (window + i) * rows;
      encoded[static_cast<size_t>(i)] =
          encode_chunk(layout->pipeline, bytes + static_cast<size_t>(row - first) * (chunk_bytes / rows),
                       chunk_bytes, where);
    });
    for (int64_t i = 0; i < n; ++i) {  // HDF5: one call at a time, this thread
      std::vector<hsize_t> offset(shape.size(), 0);
      offset[0] = static_cast<hsize_t>((window + i) * rows);
      const EncodedChunk& chunk = encoded[static_cast<size_t>(i)];
      if (H5Dwrite_chunk(dataset, H5P_DEFAULT, chunk.filter_mask, offset.data(), chunk.bytes.size(),
                         chunk.bytes.data()) < 0) {
        throw_last_error(where);
      }
    }
  }
  return {begin * rows, (end - begin) * rows};
}

}  // namespace occ::h5
