#include "h5/schema.h"

#include <algorithm>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/strings.h"
#include "h5/attributes.h"
#include "h5/dataset.h"

namespace occ::h5 {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kAttributeTypes = {"string", "int", "float", "string[]", "int[]", "float[]"};

DimensionRule parse_dimension(const Json& value, const std::string& where) {
  DimensionRule rule;
  if (value.is_number_integer()) {
    rule.size = value.get<int64_t>();
    if (rule.size < 0) throw FormatError(str(where, ": negative dimension"));
    return rule;
  }
  if (!value.is_string()) throw FormatError(str(where, ": a dimension is an integer or a symbol"));
  const std::string text = value.get<std::string>();
  if (text == "*") return rule;
  const size_t plus = text.find('+');
  rule.symbol = text.substr(0, plus);
  if (plus != std::string::npos) rule.offset = std::stoll(text.substr(plus + 1));
  if (rule.symbol.empty()) throw FormatError(str(where, ": bad dimension ", quoted(text)));
  return rule;
}

// Accepts the stored shape against the rule, binding symbols on first use.
void check_shape(const DatasetRule& rule, const std::string& path, const Shape& shape,
                 std::map<std::string, std::pair<int64_t, std::string>>& bindings,
                 std::vector<std::string>& problems) {
  if (rule.any_shape) return;
  if (shape.size() != rule.shape.size()) {
    std::vector<std::string> dims;
    for (const auto& dimension : rule.shape) dims.push_back(dimension.text());
    problems.push_back(str("dataset ", quoted(path), " has rank ", shape.size(), " ", shape_text(shape),
                           ", expected rank ", rule.shape.size(), " (", join(dims, ", "), ")"));
    return;
  }
  for (size_t axis = 0; axis < shape.size(); ++axis) {
    const DimensionRule& dimension = rule.shape[axis];
    if (dimension.size >= 0) {
      if (shape[axis] != dimension.size) {
        problems.push_back(str("dataset ", quoted(path), " has size ", shape[axis], " on axis ", axis,
                               ", expected ", dimension.size));
      }
    } else if (!dimension.symbol.empty()) {
      const int64_t value = shape[axis] - dimension.offset;
      const auto found = bindings.find(dimension.symbol);
      if (found == bindings.end()) {
        bindings.emplace(dimension.symbol, std::make_pair(value, str("dataset ", quoted(path))));
      } else if (found->second.first != value) {
        problems.push_back(str("dataset ", quoted(path), " has ", dimension.symbol, " = ", value, " (axis ",
                               axis, "), but ", found->second.second, " has ", dimension.symbol, " = ",
                               found->second.first));
      }
    }
  }
}

const std::vector<std::pair<std::string, ValueCheck::Kind>> kCheckNames = {
    {"finite", ValueCheck::Kind::finite},
    {"rotation", ValueCheck::Kind::rotation},
    {"increasing_within_scene", ValueCheck::Kind::increasing_within_scene},
    {"offsets", ValueCheck::Kind::offsets},
    {"row_index", ValueCheck::Kind::row_index},
    {"range", ValueCheck::Kind::range},
    {"below_count", ValueCheck::Kind::below_count},
};

bool is_float(DType dtype) {
  return dtype == DType::float16 || dtype == DType::float32 || dtype == DType::float64;
}

bool is_integer(DType dtype) {
  return dtype == DType::uint8 || dtype == DType::uint16 || dtype == DType::int32 || dtype == DType::int64;
}

// "finite" or {"check": "offsets", "of": "/lidar/points", "when": "validate"}.
ValueCheck parse_check(const Json& value, const DatasetRule& rule, const std::string& where) {
  const Json object = value.is_string() ? Json{{"check", value}} : value;
  if (!object.is_object() || !object.contains("check") || !object.at("check").is_string()) {
    throw FormatError(str(where, ": a check is a name or an object with \"check\""));
  }
  for (const auto& [key, unused] : object.items()) {
    if (key != "check" && key != "of" && key != "allow_none" && key != "tolerance" && key != "when" &&
        key != "min" && key != "max" && key != "below") {
      throw FormatError(str(where, ": unknown key ", quoted(key), " in a check"));
    }
  }
  ValueCheck check;
  const std::string name = object.at("check").get<std::string>();
  const auto found = std::find_if(kCheckNames.begin(), kCheckNames.end(),
                                  [&](const auto& entry) { return entry.first == name; });
  if (found == kCheckNames.end()) {
    std::vector<std::string> names;
    for (const auto& entry : kCheckNames) names.push_back(entry.first);
    throw FormatError(str(where, ": unknown check ", quoted(name), " (known: ", join(names, ", "), ")"));
  }
  check.kind = found->second;
  check.of = object.value("of", "");
  check.allow_none = object.value("allow_none", false);
  check.tolerance = object.value("tolerance", check.tolerance);
  for (const auto& [key, bound] : {std::pair{"min", &check.min}, std::pair{"max", &check.max}}) {
    if (!object.contains(key)) continue;
    if (!object.at(key).is_number())
      throw FormatError(str(where, ": check ", quoted(name), ": ", key, " is a number"));
    *bound = object.at(key).get<double>();
  }
  check.below = object.value("below", "");
  const std::string when = object.value("when", "open");
  if (when != "open" && when != "validate") {
    throw FormatError(str(where, ": check ", quoted(name), ": \"when\" is \"open\" or \"validate\""));
  }
  check.on_open = when == "open";
  const bool floats = std::all_of(rule.dtypes.begin(), rule.dtypes.end(), is_float);
  const bool integers = std::all_of(rule.dtypes.begin(), rule.dtypes.end(), is_integer);
  const auto need = [&](bool condition, const std::string& what) {
    if (!condition) throw FormatError(str(where, ": check ", quoted(name), " needs ", what));
  };
  const size_t rank = rule.shape.size();
  switch (check.kind) {
    case ValueCheck::Kind::finite:
      need(floats, "a float dtype");
      break;
    case ValueCheck::Kind::rotation:
      need(floats, "a float dtype");
      need(!rule.any_shape && rank >= 2 && rule.shape[rank - 1].size == rule.shape[rank - 2].size &&
               (rule.shape[rank - 1].size == 3 || rule.shape[rank - 1].size == 4),
           "a shape ending in 3, 3 or 4, 4");
      need(check.tolerance > 0, "a positive tolerance");
      break;
    case ValueCheck::Kind::increasing_within_scene:
      need(!rule.any_shape && rank == 1, "a 1-D shape");
      need(!check.of.empty(), "\"of\": the dataset of scene ids");
      break;
    case ValueCheck::Kind::offsets:
    case ValueCheck::Kind::row_index:
      need(integers, "an integer dtype");
      need(!rule.any_shape && rank == 1, "a 1-D shape");
      need(!check.of.empty(), "\"of\": the dataset whose rows it indexes");
      break;
    case ValueCheck::Kind::range:
      need(!rule.any_shape, "a declared shape");
      need(check.min || check.max || !check.below.empty(), "\"min\", \"max\" or \"below\"");
      need(!check.min || !check.max || *check.min <= *check.max, "min <= max");
      break;
    case ValueCheck::Kind::below_count:
      need(integers, "an integer dtype");
      need(!rule.any_shape && rank >= 1, "a declared shape");
      need(!check.of.empty(), "\"of\": the dataset of counts");
      break;
  }
  return check;
}

bool attribute_matches(const AttributeValue& value, const std::string& type) {
  const std::string kind = attribute_kind(value);
  if (kind == type) return true;
  // An integer is an acceptable float; an empty list of one kind may be
  // stored as an empty list of another.
  return (type == "float" && kind == "int") || (type == "float[]" && kind == "int[]");
}

}  // namespace

std::string ValueCheck::name() const {
  for (const auto& entry : kCheckNames) {
    if (entry.second == kind) return entry.first;
  }
  return "?";
}

std::string DimensionRule::text() const {
  if (size >= 0) return std::to_string(size);
  if (symbol.empty()) return "*";
  if (offset == 0) return symbol;
  return str(symbol, offset > 0 ? "+" : "", offset);
}

const std::vector<AttributeRule>& provenance_attributes() {
  static const std::vector<AttributeRule> rules = {
      {"schema", "string", true, {}, "", "artifact kind, e.g. occ.frames"},
      {"schema_version", "int", true, {}, "", "version of the kind's schema"},
      {"uuid", "string", true, {}, "", "random identity of this file; derived files record it"},
      {"occ_version", "string", true, {}, "", "version of occ that wrote the file"},
      {"created_by", "string", true, {}, "", "the command line that wrote the file"},
      {"created_at", "string", true, {}, "", "UTC time of writing, ISO 8601"},
      {"options", "string", true, {}, "", "the resolved options of the writing command, as JSON"},
  };
  return rules;
}

Schema Schema::parse(const std::string& json_text, const std::string& source) {
  Json document;
  try {
    document = Json::parse(json_text);
  } catch (const std::exception& error) {
    throw FormatError(str("cannot parse schema ", quoted(source), ": ", error.what()));
  }
  try {
    Schema schema;
    schema.name = document.at("schema").get<std::string>();
    const std::string prefix = "occ.";
    if (schema.name.rfind(prefix, 0) != 0) throw FormatError(str("schema name must start with ", prefix));
    schema.kind = schema.name.substr(prefix.size());
    schema.version = document.at("version").get<int64_t>();
    schema.description = document.value("description", "");
    schema.derived_from = document.value("derived_from", "");
    // A named copy: iterating items() of a temporary would dangle.
    const Json attributes = document.value("attributes", Json::object());
    for (const auto& [name, rule_json] : attributes.items()) {
      AttributeRule rule;
      rule.name = name;
      rule.type = rule_json.at("type").get<std::string>();
      if (std::find(kAttributeTypes.begin(), kAttributeTypes.end(), rule.type) == kAttributeTypes.end()) {
        throw FormatError(str("attribute ", quoted(name), ": unknown type ", quoted(rule.type)));
      }
      rule.required = rule_json.value("required", false);
      rule.binds = rule_json.value("binds", std::vector<std::string>{});
      rule.length_binds = rule_json.value("length_binds", "");
      if (!rule.binds.empty() && rule.type != "int[]")
        throw FormatError(str("attribute ", quoted(name), ": binds needs int[]"));
      if (!rule.length_binds.empty() && rule.type.back() != ']') {
        throw FormatError(str("attribute ", quoted(name), ": length_binds needs a list type"));
      }
      rule.description = rule_json.value("description", "");
      schema.attributes.push_back(rule);
    }
    for (const auto& [path, rule_json] : document.at("datasets").items()) {
      DatasetRule rule;
      rule.path = path;
      const std::string where = str("dataset ", quoted(path));
      if (path.empty() || path[0] != '/') throw FormatError(str(where, ": paths start with '/'"));
      if (path.size() >= 2 && path.compare(path.size() - 2, 2, "/*") == 0) {
        rule.subtree = true;
        rule.path = path.substr(0, path.size() - 2);
      }
      rule.required = rule_json.value("required", false);
      const Json& dtypes = rule_json.at("dtype");
      if (dtypes.is_array()) {
        for (const auto& dtype : dtypes) rule.dtypes.push_back(dtype_from_name(dtype.get<std::string>()));
      } else {
        rule.dtypes.push_back(dtype_from_name(dtypes.get<std::string>()));
      }
      const Json& shape = rule_json.at("shape");
      if (shape.is_string() && shape.get<std::string>() == "any") {
        rule.any_shape = true;
      } else {
        for (const auto& dimension : shape) rule.shape.push_back(parse_dimension(dimension, where));
      }
      for (const auto& check : rule_json.value("checks", Json::array())) {
        rule.checks.push_back(parse_check(check, rule, where));
      }
      rule.description = rule_json.value("description", "");
      schema.datasets.push_back(rule);
    }
    for (const auto& rule : schema.datasets) {
      for (const auto& check : rule.checks) {
        if (!check.below.empty()) {
          const bool bound = std::any_of(
              schema.attributes.begin(), schema.attributes.end(), [&](const AttributeRule& attribute) {
                return attribute.length_binds == check.below ||
                       std::find(attribute.binds.begin(), attribute.binds.end(), check.below) !=
                           attribute.binds.end();
              });
          if (!bound) {
            throw FormatError(str("dataset ", quoted(rule.path), ": check ", quoted(check.name()), " below ",
                                  quoted(check.below), ": no attribute binds that symbol"));
          }
        }
        if (check.of.empty()) continue;
        const bool known = std::any_of(schema.datasets.begin(), schema.datasets.end(),
                                       [&](const DatasetRule& other) { return other.path == check.of; });
        if (!known) {
          throw FormatError(str("dataset ", quoted(rule.path), ": check ", quoted(check.name()),
                                " refers to ", quoted(check.of), ", which the schema does not declare"));
        }
      }
    }
    return schema;
  } catch (const FormatError& error) {
    throw FormatError(str("bad schema ", quoted(source), ": ", error.what()));
  } catch (const std::exception& error) {
    throw FormatError(str("bad schema ", quoted(source), ": ", error.what()));
  }
}

std::vector<std::string> validate(const File& file, const Schema& schema) {
  std::vector<std::string> problems;
  std::map<std::string, std::pair<int64_t, std::string>> bindings;

  auto check_attribute = [&](const AttributeRule& rule) {
    if (!has_attribute(file, "/", rule.name)) {
      if (rule.required) problems.push_back(str("root attribute ", quoted(rule.name), " is missing"));
      return std::optional<AttributeValue>();
    }
    AttributeValue value = read_attribute(file, "/", rule.name);
    if (!attribute_matches(value, rule.type)) {
      problems.push_back(
          str("root attribute ", quoted(rule.name), " is ", attribute_kind(value), ", expected ", rule.type));
      return std::optional<AttributeValue>();
    }
    return std::optional<AttributeValue>(value);
  };

  for (const auto& rule : provenance_attributes()) check_attribute(rule);
  if (has_attribute(file, "/", "schema")) {
    const AttributeValue name = read_attribute(file, "/", "schema");
    if (attribute_kind(name) == "string" && std::get<std::string>(name) != schema.name) {
      problems.push_back(str("root attribute 'schema' is ", quoted(std::get<std::string>(name)),
                             ", expected ", quoted(schema.name)));
    }
  }
  if (has_attribute(file, "/", "schema_version")) {
    const AttributeValue version = read_attribute(file, "/", "schema_version");
    if (attribute_kind(version) == "int" && std::get<int64_t>(version) != schema.version) {
      problems.push_back(str("root attribute 'schema_version' is ", std::get<int64_t>(version),
                             ", this occ reads ", schema.name, " version ", schema.version));
    }
  }
  if (!schema.derived_from.empty()) {
    check_attribute({"frames_uuid", "string", true, {}, "", ""});
  }
  for (const auto& rule : schema.attributes) {
    const auto value = check_attribute(rule);
    if (!value) continue;
    if (!rule.length_binds.empty()) {
      const int64_t length = attribute_length(*value);
      bindings.emplace(rule.length_binds, std::make_pair(length, str("root attribute ", quoted(rule.name))));
    }
    if (rule.binds.empty()) continue;
    const auto& numbers = std::get<std::vector<int64_t>>(*value);
    if (numbers.size() != rule.binds.size()) {
      problems.push_back(str("root attribute ", quoted(rule.name), " has ", numbers.size(),
                             " values, expected ", rule.binds.size()));
      continue;
    }
    for (size_t i = 0; i < numbers.size(); ++i) {
      bindings.emplace(rule.binds[i], std::make_pair(numbers[i], str("root attribute ", quoted(rule.name))));
    }
  }

  const std::vector<std::string> present = file.dataset_paths();
  for (const auto& rule : schema.datasets) {
    std::vector<std::string> matches;
    if (rule.subtree) {
      for (const auto& path : present) {
        if (path.rfind(rule.path + "/", 0) == 0) matches.push_back(path);
      }
    } else if (file.is_dataset(rule.path)) {
      matches.push_back(rule.path);
    } else if (file.exists(rule.path)) {
      problems.push_back(str(quoted(rule.path), " is a group, expected a dataset"));
      continue;
    }
    if (matches.empty()) {
      if (rule.required) {
        problems.push_back(str("dataset ", quoted(rule.path + (rule.subtree ? "/*" : "")), " is missing"));
      }
      continue;
    }
    for (const auto& path : matches) {
      const DatasetInfo info = dataset_info(file, path);
      if (std::find(rule.dtypes.begin(), rule.dtypes.end(), info.dtype) == rule.dtypes.end()) {
        std::vector<std::string> names;
        for (DType dtype : rule.dtypes) names.push_back(dtype_name(dtype));
        problems.push_back(str("dataset ", quoted(path), " has dtype ", info.dtype_text, ", expected ",
                               join(names, " or ")));
      }
      check_shape(rule, path, info.shape, bindings, problems);
    }
  }
  return problems;
}

}  // namespace occ::h5
