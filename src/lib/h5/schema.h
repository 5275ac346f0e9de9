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

// A check of the values a dataset holds (the "checks" list of a dataset in
// data/schemas/*.json), run after dtypes and shapes are known to be right.
struct ValueCheck {
  enum class Kind { finite, rotation, increasing_within_scene, offsets, row_index, range, below_count };
  Kind kind = Kind::finite;
  // offsets, row_index: the dataset whose rows are indexed;
  // increasing_within_scene: the dataset of scene ids per row;
  // below_count: the dataset of counts, its shape a prefix of this one's.
  std::string of;
  // range: inclusive bounds (NaN is out of every range) and/or an exclusive
  // upper bound given by a shape symbol an attribute binds ("K": class ids).
  std::optional<double> min, max;
  std::string below;
  bool allow_none = false;   // row_index: -1 means "no row"
  double tolerance = 1e-3;   // rotation: largest |R R^T - I| entry
  bool on_open = true;       // false ("when": "validate"): only occ inspect --validate
  std::string name() const;  // "finite", ...
};

struct DatasetRule {
  std::string path;  // "/frames/timestamp_us", or "/weights/*" for a whole subtree
  bool subtree = false;
  bool required = false;
  std::vector<DType> dtypes;  // any of these
  bool any_shape = false;     // "shape": "any"
  std::vector<DimensionRule> shape;
  std::vector<ValueCheck> checks;
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

// Problems the value checks of `schema` find in `file` (which must pass
// validate() first), each naming the dataset and its first bad row. With
// `all` false only the checks that run on every open (cheap ones: small
// geometry and index datasets); true adds those marked "when": "validate".
std::vector<std::string> check_values(const File& file, const Schema& schema, bool all);

// Reads every stored chunk of every numeric dataset once, so each checksum
// is verified; one problem per damaged dataset (occ inspect --validate).
std::vector<std::string> verify_stored_data(const File& file);

}  // namespace occ::h5
