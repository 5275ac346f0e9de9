#pragma once
// The zstd HDF5 filter, id 32015 as registered with The HDF Group: one zstd
// frame per chunk, cd_values[0] = compression level (default 3). Used
// in-process by occ and built as the h5zstd plugin for h5py and h5dump.
#include <hdf5.h>

namespace occ::h5 {

constexpr H5Z_filter_t kZstdFilterId = 32015;
constexpr int kZstdDefaultLevel = 3;

const H5Z_class2_t* zstd_filter_class();
// Registers the filter with the HDF5 library in this process; false on failure.
bool register_zstd_filter();

}  // namespace occ::h5
