#pragma once
// The schemas compiled into occ from data/schemas (cmake/EmbedSchemas.cmake).
#include <string>
#include <vector>

#include "h5/schema.h"

namespace occ::h5 {

struct EmbeddedSchema {
  const char* kind;
  const char* text;
};
const std::vector<EmbeddedSchema>& embedded_schemas();

// Kinds in name order: "flow", "frames", "masks", "model", "pred".
std::vector<std::string> schema_kinds();
// Throws Error for an unknown kind.
const Schema& schema_for_kind(const std::string& kind);
// By the `schema` attribute value ("occ.frames"); nullptr when unknown.
const Schema* find_schema_by_name(const std::string& name);

}  // namespace occ::h5
