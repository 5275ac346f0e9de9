#pragma once
// Damages an HDF5 file on disk the way storage does: flips stored bytes of
// one dataset's first chunk (below HDF5, so only a checksum can notice), or
// cuts the file short.
#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace occ::test {

// Flips one bit in each of `count` bytes in the middle of the first stored
// chunk of `dataset` (single bits: Fletcher32 cannot tell a 16-bit word 0x0000
// from 0xFFFF, so inverting whole bytes of zeros could go unseen).
inline void flip_stored_bytes(const std::string& path, const std::string& dataset, int count = 4) {
  haddr_t address = HADDR_UNDEF;
  hsize_t size = 0;
  {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) throw std::runtime_error("cannot open " + path);
    const hid_t data = H5Dopen2(file, dataset.c_str(), H5P_DEFAULT);
    const hid_t space = data < 0 ? -1 : H5Dget_space(data);
    hsize_t offset[8] = {};
    unsigned filter_mask = 0;
    const herr_t status =
        space < 0 ? -1 : H5Dget_chunk_info(data, space, 0, offset, &filter_mask, &address, &size);
    if (space >= 0) H5Sclose(space);
    if (data >= 0) H5Dclose(data);
    H5Fclose(file);
    if (status < 0 || address == HADDR_UNDEF || size == 0) {
      throw std::runtime_error("no stored chunk of " + dataset + " in " + path);
    }
  }
  std::fstream stream(path, std::ios::in | std::ios::out | std::ios::binary);
  const auto middle = static_cast<std::streamoff>(address + size / 2);
  for (int i = 0; i < count && static_cast<hsize_t>(i) < size; ++i) {
    stream.seekg(middle + i);
    const int byte = stream.get();
    stream.seekp(middle + i);
    stream.put(static_cast<char>(byte ^ 0x10));
  }
  if (!stream) throw std::runtime_error("cannot damage " + path);
}

// Keeps the first `fraction` of the file's bytes.
inline void truncate_file(const std::string& path, double fraction = 0.5) {
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, static_cast<uintmax_t>(static_cast<double>(size) * fraction));
}

}  // namespace occ::test

namespace occ::test {

template <typename T>
hid_t native_type() {
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  if constexpr (std::is_same_v<T, float>) return H5T_NATIVE_FLOAT;
  if constexpr (std::is_same_v<T, int64_t>) return H5T_NATIVE_INT64;
  if constexpr (std::is_same_v<T, int32_t>) return H5T_NATIVE_INT32;
  if constexpr (std::is_same_v<T, uint16_t>) return H5T_NATIVE_UINT16;
  if constexpr (std::is_same_v<T, uint8_t>) return H5T_NATIVE_UINT8;
}

// Sets element `flat` (C order) of a numeric dataset in place, through HDF5,
// so the file stays well-formed: only the value is wrong.
template <typename T>
void set_value(const std::string& path, const std::string& dataset, int64_t flat, T value) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t data = file < 0 ? -1 : H5Dopen2(file, dataset.c_str(), H5P_DEFAULT);
  const hid_t space = data < 0 ? -1 : H5Dget_space(data);
  const hssize_t count = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
  std::vector<T> values(static_cast<size_t>(std::max<hssize_t>(count, 0)));
  bool ok =
      count > flat && H5Dread(data, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0;
  if (ok) {
    values[static_cast<size_t>(flat)] = value;
    ok = H5Dwrite(data, native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0;
  }
  if (space >= 0) H5Sclose(space);
  if (data >= 0) H5Dclose(data);
  if (file >= 0) H5Fclose(file);
  if (!ok) throw std::runtime_error("cannot change " + dataset + " in " + path);
}

// Removes the last row of a chunked dataset (HDF5 shrinks it in place).
inline void drop_last_row(const std::string& path, const std::string& dataset) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  const hid_t data = file < 0 ? -1 : H5Dopen2(file, dataset.c_str(), H5P_DEFAULT);
  const hid_t space = data < 0 ? -1 : H5Dget_space(data);
  hsize_t dims[8] = {};
  const int rank = space < 0 ? -1 : H5Sget_simple_extent_dims(space, dims, nullptr);
  bool ok = rank > 0 && dims[0] > 0;
  if (ok) {
    dims[0] -= 1;
    ok = H5Dset_extent(data, dims) >= 0;
  }
  if (space >= 0) H5Sclose(space);
  if (data >= 0) H5Dclose(data);
  if (file >= 0) H5Fclose(file);
  if (!ok) throw std::runtime_error("cannot shorten " + dataset + " in " + path);
}

}  // namespace occ::test
