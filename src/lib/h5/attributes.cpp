#include "h5/attributes.h"

#include <sstream>
#include <type_traits>

#include "core/error.h"
#include "core/strings.h"
#include "h5/dtype.h"
#include "h5/error_stack.h"

namespace occ::h5 {
namespace {

hid_t check(hid_t id, const std::string& what) {
  if (id < 0) throw_last_error(what);
  return id;
}

Handle open_attribute(const File& file, const std::string& object_path, const std::string& name) {
  Handle object = open_object(file, object_path);
  if (H5Aexists(object.id(), name.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw FormatError(str(file.where(object_path), " has no attribute ", quoted(name)));
  }
  return Handle(check(H5Aopen(object.id(), name.c_str(), H5P_DEFAULT),
                      str("cannot open attribute ", quoted(name), " of ", file.where(object_path))),
                H5Aclose);
}

template <typename T>
void write_numbers(hid_t object, const std::string& name, const std::vector<T>& values, bool scalar,
                   DType dtype, const std::string& what) {
  Handle type = make_type(dtype);
  const hsize_t count = values.size();
  Handle space(check(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, nullptr), what), H5Sclose);
  Handle attribute(
      check(H5Acreate2(object, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), what),
      H5Aclose);
  if (!values.empty() && H5Awrite(attribute.id(), type.id(), values.data()) < 0) throw_last_error(what);
}

void write_strings(hid_t object, const std::string& name, const std::vector<std::string>& values, bool scalar,
                   const std::string& what) {
  Handle type = make_type(DType::string);
  const hsize_t count = values.size();
  Handle space(check(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &count, nullptr), what), H5Sclose);
  Handle attribute(
      check(H5Acreate2(object, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), what),
      H5Aclose);
  std::vector<const char*> pointers;
  for (const auto& value : values) pointers.push_back(value.c_str());
  if (!pointers.empty() && H5Awrite(attribute.id(), type.id(), pointers.data()) < 0) throw_last_error(what);
}

std::vector<std::string> read_strings(hid_t attribute, hid_t file_type, hsize_t count,
                                      const std::string& what) {
  std::vector<std::string> values;
  if (H5Tis_variable_str(file_type) > 0) {
    Handle type = make_type(DType::string);
    std::vector<char*> pointers(count, nullptr);
    if (count > 0 && H5Aread(attribute, type.id(), pointers.data()) < 0) throw_last_error(what);
    for (char* pointer : pointers) {
      values.emplace_back(pointer ? pointer : "");
      H5free_memory(pointer);
    }
    return values;
  }
  // Fixed-length strings (numpy 'S' arrays written by h5py, other tools).
  const size_t size = H5Tget_size(file_type);
  std::vector<char> buffer(size * count + 1, '\0');
  Handle type(check(H5Tcopy(file_type), what), H5Tclose);
  if (count > 0 && H5Aread(attribute, type.id(), buffer.data()) < 0) throw_last_error(what);
  for (hsize_t i = 0; i < count; ++i) {
    std::string value(buffer.data() + i * size, size);
    value.erase(value.find_last_not_of('\0') + 1);
    values.push_back(value);
  }
  return values;
}

}  // namespace

void write_attribute(File& file, const std::string& object_path, const std::string& name,
                     const AttributeValue& value) {
  const std::string what = str("cannot write attribute ", quoted(name), " of ", file.where(object_path));
  Handle object = open_object(file, object_path);
  if (H5Aexists(object.id(), name.c_str()) > 0 && H5Adelete(object.id(), name.c_str()) < 0) {
    throw_last_error(what);
  }
  if (const auto* text = std::get_if<std::string>(&value)) {
    write_strings(object.id(), name, {*text}, true, what);
  } else if (const auto* integer = std::get_if<int64_t>(&value)) {
    write_numbers(object.id(), name, std::vector<int64_t>{*integer}, true, DType::int64, what);
  } else if (const auto* real = std::get_if<double>(&value)) {
    write_numbers(object.id(), name, std::vector<double>{*real}, true, DType::float64, what);
  } else if (const auto* texts = std::get_if<std::vector<std::string>>(&value)) {
    write_strings(object.id(), name, *texts, false, what);
  } else if (const auto* integers = std::get_if<std::vector<int64_t>>(&value)) {
    write_numbers(object.id(), name, *integers, false, DType::int64, what);
  } else if (const auto* reals = std::get_if<std::vector<double>>(&value)) {
    write_numbers(object.id(), name, *reals, false, DType::float64, what);
  }
}

bool has_attribute(const File& file, const std::string& object_path, const std::string& name) {
  if (!file.exists(object_path)) return false;
  Handle object = open_object(file, object_path);
  const htri_t found = H5Aexists(object.id(), name.c_str());
  H5Eclear2(H5E_DEFAULT);
  return found > 0;
}

AttributeValue read_attribute(const File& file, const std::string& object_path, const std::string& name) {
  const std::string what = str("cannot read attribute ", quoted(name), " of ", file.where(object_path));
  Handle attribute = open_attribute(file, object_path, name);
  Handle file_type(check(H5Aget_type(attribute.id()), what), H5Tclose);
  Handle space(check(H5Aget_space(attribute.id()), what), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank > 1) throw FormatError(str(what, ": rank ", rank, " attributes are not supported"));
  const hsize_t count = static_cast<hsize_t>(H5Sget_simple_extent_npoints(space.id()));
  const bool scalar = rank == 0;
  switch (H5Tget_class(file_type.id())) {
    case H5T_STRING: {
      auto values = read_strings(attribute.id(), file_type.id(), count, what);
      if (scalar) return values.empty() ? std::string() : values.front();
      return values;
    }
    case H5T_INTEGER: {
      std::vector<int64_t> values(count);
      if (count > 0 && H5Aread(attribute.id(), H5T_NATIVE_INT64, values.data()) < 0) throw_last_error(what);
      if (scalar) return values.front();
      return values;
    }
    case H5T_FLOAT: {
      std::vector<double> values(count);
      if (count > 0 && H5Aread(attribute.id(), H5T_NATIVE_DOUBLE, values.data()) < 0) throw_last_error(what);
      if (scalar) return values.front();
      return values;
    }
    default:
      return str("<", describe_type(file_type.id()), " attribute>");
  }
}

namespace {

template <typename T>
const T& require_kind(const AttributeValue& value, const File& file, const std::string& object_path,
                      const std::string& name, const char* expected) {
  if (const auto* typed = std::get_if<T>(&value)) return *typed;
  throw FormatError(str("attribute ", quoted(name), " of ", file.where(object_path), " is ",
                        attribute_kind(value), ", expected ", expected));
}

}  // namespace

std::string read_string_attribute(const File& file, const std::string& object_path, const std::string& name) {
  return require_kind<std::string>(read_attribute(file, object_path, name), file, object_path, name,
                                   "string");
}

int64_t read_int_attribute(const File& file, const std::string& object_path, const std::string& name) {
  return require_kind<int64_t>(read_attribute(file, object_path, name), file, object_path, name, "int");
}

double read_float_attribute(const File& file, const std::string& object_path, const std::string& name) {
  const AttributeValue value = read_attribute(file, object_path, name);
  if (const auto* integer = std::get_if<int64_t>(&value)) return static_cast<double>(*integer);
  return require_kind<double>(value, file, object_path, name, "float");
}

std::vector<int64_t> read_int_list_attribute(const File& file, const std::string& object_path,
                                             const std::string& name) {
  return require_kind<std::vector<int64_t>>(read_attribute(file, object_path, name), file, object_path, name,
                                            "int[]");
}

std::vector<double> read_float_list_attribute(const File& file, const std::string& object_path,
                                              const std::string& name) {
  const AttributeValue value = read_attribute(file, object_path, name);
  if (const auto* integers = std::get_if<std::vector<int64_t>>(&value)) {
    return std::vector<double>(integers->begin(), integers->end());
  }
  return require_kind<std::vector<double>>(value, file, object_path, name, "float[]");
}

std::vector<std::string> read_string_list_attribute(const File& file, const std::string& object_path,
                                                    const std::string& name) {
  return require_kind<std::vector<std::string>>(read_attribute(file, object_path, name), file, object_path,
                                                name, "string[]");
}

namespace {

herr_t collect_name(hid_t /*object*/, const char* name, const H5A_info_t* /*info*/, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

}  // namespace

std::vector<std::pair<std::string, AttributeValue>> list_attributes(const File& file,
                                                                    const std::string& object_path) {
  Handle object = open_object(file, object_path);
  std::vector<std::string> names;
  hsize_t index = 0;
  if (H5Aiterate2(object.id(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_name, &names) < 0) {
    throw_last_error(str("cannot list the attributes of ", file.where(object_path)));
  }
  std::vector<std::pair<std::string, AttributeValue>> attributes;
  for (const auto& name : names) attributes.emplace_back(name, read_attribute(file, object_path, name));
  return attributes;
}

int64_t attribute_length(const AttributeValue& value) {
  return std::visit(
      [](const auto& typed) -> int64_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(typed)>, std::string> ||
                      std::is_arithmetic_v<std::decay_t<decltype(typed)>>) {
          return 1;
        } else {
          return static_cast<int64_t>(typed.size());
        }
      },
      value);
}

std::string attribute_kind(const AttributeValue& value) {
  switch (value.index()) {
    case 0:
      return "string";
    case 1:
      return "int";
    case 2:
      return "float";
    case 3:
      return "string[]";
    case 4:
      return "int[]";
    default:
      return "float[]";
  }
}

std::string attribute_text(const AttributeValue& value) {
  std::ostringstream out;
  out.precision(10);
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  if (const auto* integer = std::get_if<int64_t>(&value)) return std::to_string(*integer);
  if (const auto* real = std::get_if<double>(&value)) {
    out << *real;
    return out.str();
  }
  out << "[";
  if (const auto* texts = std::get_if<std::vector<std::string>>(&value)) {
    for (size_t i = 0; i < texts->size(); ++i) out << (i ? ", " : "") << (*texts)[i];
  } else if (const auto* integers = std::get_if<std::vector<int64_t>>(&value)) {
    for (size_t i = 0; i < integers->size(); ++i) out << (i ? ", " : "") << (*integers)[i];
  } else if (const auto* reals = std::get_if<std::vector<double>>(&value)) {
    for (size_t i = 0; i < reals->size(); ++i) out << (i ? ", " : "") << (*reals)[i];
  }
  out << "]";
  return out.str();
}

}  // namespace occ::h5
