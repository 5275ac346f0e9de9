#pragma once
// Reading rows of a chunked dataset on every thread of the budget (-j):
// HDF5 only hands over each chunk's stored bytes (H5Dread_chunk; the
// thread-safe library takes its global lock for each call, so the threads'
// reads take turns while the others decode), and h5/filter_pipeline undoes
// the filters of each chunk outside that lock, checking Fletcher-32 sums. h5::read_rows_raw and
// h5::read_row_list_raw use it; everything else reads through them.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace occ::h5 {

struct RowRange {
  int64_t first = 0;
  int64_t count = 0;
};

// Reads the rows of `ranges` (along axis 0, each within `shape`) of the open
// `dataset` into `out`, range after range, C order. Returns false, having
// read nothing, when the dataset cannot be read from its chunks: not
// chunked, a filter outside FilterPipeline::supported, a stored type other
// than `memory_type` (HDF5 would convert it), or a chunk never written (HDF5
// supplies the fill value); the caller then reads through H5Dread. Damaged
// chunks throw FormatError "<where>: stored data is damaged (...)".
bool read_chunked_rows(hid_t dataset, hid_t memory_type, const std::vector<int64_t>& shape,
                       const std::vector<RowRange>& ranges, void* out, const std::string& where);

}  // namespace occ::h5
