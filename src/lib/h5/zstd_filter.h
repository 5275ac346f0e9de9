#pragma once
// The zstd HDF5 filter, id 32015 as registered with The HDF Group: one zstd
// frame per chunk, cd_values[0] = compression level (default 3). Used
// in-process by occ and built as the h5zstd plugin for h5py and h5dump.
#include <hdf5.h>

#include <string>
#include <vector>

namespace occ::h5 {

constexpr H5Z_filter_t kZstdFilterId = 32015;
constexpr int kZstdDefaultLevel = 3;

const H5Z_class2_t* zstd_filter_class();

// The filter's two halves on plain buffers, shared by the HDF5 callback and
// occ's parallel chunk pipeline (h5/filter_pipeline.h), so both store the same
// bytes. zstd_encode returns the frame (ZSTD_compress at `level`); zstd_decode
// decodes one frame into `out` of `capacity` bytes and returns its size, or
// 0 with `error` set when the frame is damaged or does not fit.
std::vector<unsigned char> zstd_encode(const void* data, size_t bytes, int level);
size_t zstd_decode(const void* frame, size_t bytes, void* out, size_t capacity, std::string* error);
// Registers the filter with the HDF5 library in this process; false on failure.
bool register_zstd_filter();

}  // namespace occ::h5
