#pragma once
// Writing rows of a chunked dataset on every thread of the budget (-j): the
// chunks a write covers completely are filtered in parallel (h5/filter_pipeline,
// the same bytes HDF5's filters would store) and handed to HDF5 one at a
// time with H5Dwrite_chunk. h5::write_rows_raw uses it; the rows outside
// whole chunks, and datasets it cannot handle, go through H5Dwrite.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "h5/chunk_reader.h"

namespace occ::h5 {

// Writes the whole chunks among rows [first, first + count) of `data` (C
// order, `memory_type`, rows `first`.. of it) to the open `dataset` of
// `shape` (already extended to hold them), and returns the rows it wrote:
// one range of whole chunks, {first, 0} when none. Only datasets whose
// chunks span whole rows (every chunk dimension but the first equals the
// dataset's) are written this way.
RowRange write_chunked_rows(hid_t dataset, hid_t memory_type, const std::vector<int64_t>& shape,
                            int64_t first, int64_t count, const void* data, const std::string& where);

}  // namespace occ::h5
