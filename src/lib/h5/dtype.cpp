#include "h5/dtype.h"

#include "core/error.h"
#include "core/strings.h"
#include "h5/error_stack.h"

namespace occ::h5 {
namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kTypes[] = {
    {DType::uint8, "uint8", 1},     {DType::uint16, "uint16", 2},   {DType::int32, "int32", 4},
    {DType::int64, "int64", 8},     {DType::float16, "float16", 2}, {DType::float32, "float32", 4},
    {DType::float64, "float64", 8}, {DType::string, "string", 0},
};

hid_t check(hid_t id, const char* what) {
  if (id < 0) throw_last_error(what);
  return id;
}

}  // namespace

std::string dtype_name(DType dtype) {
  for (const auto& info : kTypes) {
    if (info.dtype == dtype) return info.name;
  }
  return "other";
}

DType dtype_from_name(const std::string& name) {
  for (const auto& info : kTypes) {
    if (name == info.name) return info.dtype;
  }
  throw FormatError(str("unknown dtype ", quoted(name)));
}

size_t dtype_size(DType dtype) {
  for (const auto& info : kTypes) {
    if (info.dtype == dtype) return info.size;
  }
  return 0;
}

Handle make_type(DType dtype) {
  ensure_initialized();
  hid_t base = H5I_INVALID_HID;
  switch (dtype) {
    case DType::uint8:
      base = H5T_STD_U8LE;
      break;
    case DType::uint16:
      base = H5T_STD_U16LE;
      break;
    case DType::int32:
      base = H5T_STD_I32LE;
      break;
    case DType::int64:
      base = H5T_STD_I64LE;
      break;
    case DType::float32:
      base = H5T_IEEE_F32LE;
      break;
    case DType::float64:
      base = H5T_IEEE_F64LE;
      break;
    case DType::float16: {
      // binary16: sign bit 15, exponent bits 10-14 (bias 15), mantissa 0-9.
      Handle type(check(H5Tcopy(H5T_IEEE_F32LE), "cannot create float16 type"), H5Tclose);
      if (H5Tset_fields(type.id(), 15, 10, 5, 0, 10) < 0 || H5Tset_size(type.id(), 2) < 0 ||
          H5Tset_ebias(type.id(), 15) < 0) {
        throw_last_error("cannot create float16 type");
      }
      return type;
    }
    case DType::string: {
      Handle type(check(H5Tcopy(H5T_C_S1), "cannot create string type"), H5Tclose);
      if (H5Tset_size(type.id(), H5T_VARIABLE) < 0 || H5Tset_cset(type.id(), H5T_CSET_UTF8) < 0) {
        throw_last_error("cannot create string type");
      }
      return type;
    }
    case DType::other:
      throw Error("internal: no HDF5 type for dtype 'other'");
  }
  return Handle(check(H5Tcopy(base), "cannot copy HDF5 type"), H5Tclose);
}

DType classify_type(hid_t type) {
  const H5T_class_t type_class = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (type_class == H5T_STRING) return DType::string;
  if (type_class == H5T_INTEGER) {
    // occ writes little-endian; a big-endian file from elsewhere is still
    // read correctly because HDF5 converts byte order on read.
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (!is_signed && size == 1) return DType::uint8;
    if (!is_signed && size == 2) return DType::uint16;
    if (is_signed && size == 4) return DType::int32;
    if (is_signed && size == 8) return DType::int64;
    return DType::other;
  }
  if (type_class == H5T_FLOAT) {
    if (size == 2) return DType::float16;
    if (size == 4) return DType::float32;
    if (size == 8) return DType::float64;
  }
  return DType::other;
}

std::string describe_type(hid_t type) {
  const DType dtype = classify_type(type);
  if (dtype != DType::other) return dtype_name(dtype);
  const size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return str(H5Tget_sign(type) == H5T_SGN_2 ? "int" : "uint", 8 * size);
    case H5T_FLOAT:
      return str("float", 8 * size);
    case H5T_ENUM:
      return "enum";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ARRAY:
      return "array";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_REFERENCE:
      return "reference";
    case H5T_VLEN:
      return "vlen";
    case H5T_BITFIELD:
      return "bitfield";
    default:
      return "unknown";
  }
}

}  // namespace occ::h5
