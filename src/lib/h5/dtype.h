#pragma once
// The element types occ stores, their names (numpy's: "uint8", "float16"...)
// and their HDF5 types. float16 is an IEEE binary16 HDF5 float type, which
// h5py reads as numpy float16.
#include <cstdint>
#include <string>
#include <type_traits>

#include "h5/half.h"
#include "h5/handle.h"

namespace occ::h5 {

enum class DType { uint8, uint16, int32, int64, float16, float32, float64, string, other };

std::string dtype_name(DType dtype);
// Throws FormatError for an unknown name.
DType dtype_from_name(const std::string& name);
size_t dtype_size(DType dtype);

// The little-endian HDF5 type occ writes for a dtype (memory and file).
Handle make_type(DType dtype);
// Classifies a stored type; DType::other for anything occ does not write
// (the description then says what it is, e.g. "int8", "compound").
DType classify_type(hid_t type);
std::string describe_type(hid_t type);

template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, uint8_t>)
    return DType::uint8;
  else if constexpr (std::is_same_v<T, uint16_t>)
    return DType::uint16;
  else if constexpr (std::is_same_v<T, int32_t>)
    return DType::int32;
  else if constexpr (std::is_same_v<T, int64_t>)
    return DType::int64;
  else if constexpr (std::is_same_v<T, Half>)
    return DType::float16;
  else if constexpr (std::is_same_v<T, float>)
    return DType::float32;
  else if constexpr (std::is_same_v<T, double>)
    return DType::float64;
  else
    static_assert(sizeof(T) == 0, "occ::h5 stores uint8, uint16, int32, int64, Half, float, double");
}

}  // namespace occ::h5
