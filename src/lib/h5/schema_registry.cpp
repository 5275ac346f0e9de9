#include "h5/schema_registry.h"

#include <map>
#include <mutex>

#include "core/error.h"
#include "core/strings.h"

namespace occ::h5 {
namespace {

const std::map<std::string, Schema>& parsed_schemas() {
  static const std::map<std::string, Schema> schemas = [] {
    std::map<std::string, Schema> result;
    for (const auto& embedded : embedded_schemas()) {
      Schema schema = Schema::parse(embedded.text, str("data/schemas/", embedded.kind, ".json"));
      if (schema.kind != embedded.kind) {
        throw Error(
            str("internal: data/schemas/", embedded.kind, ".json declares kind ", quoted(schema.kind)));
      }
      result.emplace(schema.kind, std::move(schema));
    }
    return result;
  }();
  return schemas;
}

}  // namespace

std::vector<std::string> schema_kinds() {
  std::vector<std::string> kinds;
  for (const auto& entry : parsed_schemas()) kinds.push_back(entry.first);
  return kinds;
}

const Schema& schema_for_kind(const std::string& kind) {
  const auto& schemas = parsed_schemas();
  const auto found = schemas.find(kind);
  if (found == schemas.end()) {
    throw Error(str("unknown artifact kind ", quoted(kind), " (known: ", join(schema_kinds(), ", "), ")"));
  }
  return found->second;
}

const Schema* find_schema_by_name(const std::string& name) {
  for (const auto& entry : parsed_schemas()) {
    if (entry.second.name == name) return &entry.second;
  }
  return nullptr;
}

}  // namespace occ::h5
