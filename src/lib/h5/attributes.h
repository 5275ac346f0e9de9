#pragma once
// Attributes on the root group or on a dataset: strings (variable-length
// UTF-8, read by h5py as str), integers, floats and 1-D lists of each.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "h5/file.h"

namespace occ::h5 {

using AttributeValue = std::variant<std::string, int64_t, double, std::vector<std::string>,
                                    std::vector<int64_t>, std::vector<double>>;

// `object_path` is "/" for the file's root attributes.
void write_attribute(File& file, const std::string& object_path, const std::string& name,
                     const AttributeValue& value);

bool has_attribute(const File& file, const std::string& object_path, const std::string& name);
// Throws FormatError naming file, object and attribute when absent or of
// another kind (an integer attribute read as string, say). Integers are
// accepted where a float is asked for.
AttributeValue read_attribute(const File& file, const std::string& object_path, const std::string& name);
std::string read_string_attribute(const File& file, const std::string& object_path, const std::string& name);
int64_t read_int_attribute(const File& file, const std::string& object_path, const std::string& name);
double read_float_attribute(const File& file, const std::string& object_path, const std::string& name);
std::vector<int64_t> read_int_list_attribute(const File& file, const std::string& object_path,
                                             const std::string& name);
std::vector<double> read_float_list_attribute(const File& file, const std::string& object_path,
                                              const std::string& name);
std::vector<std::string> read_string_list_attribute(const File& file, const std::string& object_path,
                                                    const std::string& name);

// All attributes of an object in name order; values occ cannot represent are
// reported as a string describing their type.
std::vector<std::pair<std::string, AttributeValue>> list_attributes(const File& file,
                                                                    const std::string& object_path);

// Type names used in schemas and messages: "string", "int", "float",
// "string[]", "int[]", "float[]".
std::string attribute_kind(const AttributeValue& value);
// Elements of a list attribute; 1 for a single value (schema length_binds).
int64_t attribute_length(const AttributeValue& value);
// A compact text form for `occ inspect`.
std::string attribute_text(const AttributeValue& value);

}  // namespace occ::h5
