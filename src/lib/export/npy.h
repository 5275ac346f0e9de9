#pragma once
// NPY 1.0 files (numpy's own format, numpy/lib/format.py): the magic
// "\x93NUMPY", version 1.0, a little-endian u16 header length, a Python dict
// literal header padded with spaces to a multiple of 64 bytes and ending in
// '\n', then the raw C-order data.
#include <cstdint>
#include <string>
#include <vector>

namespace occ::exporting {

// `descr` is numpy's type string: "|u1", "<u2", "<f2", "<f4".
std::string npy_header(const std::string& descr, const std::vector<int64_t>& shape);
std::string npy_bytes(const std::string& descr, const std::vector<int64_t>& shape, const void* data,
                      size_t byte_count);

}  // namespace occ::exporting
