#pragma once
// The schema of an artifact kind (data/schemas/<kind>.json) and the
// validator every reader runs on open. A schema lists required and optional
// root attributes and datasets with dtype and a symbolic shape such as
// ["N", "C", "H", "W", 3]; every use of a symbol in one file must agree.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "h5/dtype.h"
#include "h5/file.h"

namespace occ::h5 {

// One dimension of a shape rule: a fixed size, a symbol plus offset ("N+1"),
// or anything ("*").
struct DimensionRule {
  int64_t size = -1;   // >= 0: fixed size
  std::string symbol;  // non-empty: symbolic
  int64_t offset = 0;  // symbol + offset
  std::string text() const;
};

struct DatasetRule {
  std::string path;  // "/frames/timestamp_us", or "/weights/*" for a whole subtree
  bool subtree = false;
  bool required = false;
  std::vector<DType> dtypes;  // any of these
  bool any_shape = false;     // "shape": "any"
  std::vector<DimensionRule> shape;
  std::string description;
};

struct AttributeRule {
  std::string name;
  std::string type;  // "string", "int", "float", "string[]", "int[]", "float[]"
  bool required = false;
  std::vector<std::string> binds;  // int[] attribute whose elements define shape symbols
  std::string length_binds;        // list attribute whose length defines a symbol
  std::string description;
};

struct Schema {
  std::string kind;  // "frames"
  std::string name;  // "occ.frames"
  int64_t version = 0;
  std::string description;
  std::string derived_from;  // "occ.frames" for files that record frames_uuid
  std::vector<AttributeRule> attributes;
  std::vector<DatasetRule> datasets;

  // Throws FormatError naming `source` for a malformed schema document.
  static Schema parse(const std::string& json_text, const std::string& source);
};

// The attributes every occ file carries, whatever its kind.
const std::vector<AttributeRule>& provenance_attributes();

// All problems of `file` against `schema`, each naming the dataset or
// attribute ("dataset '/x' has dtype float32, expected uint8"). Empty: valid.
std::vector<std::string> validate(const File& file, const Schema& schema);

}  // namespace occ::h5
