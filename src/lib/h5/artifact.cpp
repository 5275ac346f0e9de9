#include "h5/artifact.h"

#include "core/error.h"
#include "core/provenance.h"
#include "core/strings.h"
#include "core/version.h"
#include "h5/attributes.h"
#include "h5/schema_registry.h"

namespace occ::h5 {
namespace {

[[noreturn]] void throw_problems(const std::string& path, const Schema& schema,
                                 const std::vector<std::string>& problems) {
  throw SchemaError(str(quoted(path), " does not follow schema ", schema.name, " v", schema.version, ": ",
                        join(problems, "; ")));
}

}  // namespace

OutputArtifact::OutputArtifact(const std::string& path, const std::string& kind,
                               const nlohmann::json& options)
    : atomic_(path), kind_(kind), uuid_(make_uuid()) {
  const Schema& schema = schema_for_kind(kind);
  file_ = File::create(atomic_.temp_path(), path);
  write_attribute(file_, "/", "schema", schema.name);
  write_attribute(file_, "/", "schema_version", schema.version);
  write_attribute(file_, "/", "uuid", uuid_);
  write_attribute(file_, "/", "occ_version", std::string(OCC_VERSION));
  write_attribute(file_, "/", "created_by", command_line());
  write_attribute(file_, "/", "created_at", utc_timestamp());
  write_attribute(file_, "/", "options", options.dump());
}

void OutputArtifact::set_frames_uuid(const std::string& frames_uuid) {
  write_attribute(file_, "/", "frames_uuid", frames_uuid);
}

void OutputArtifact::commit() {
  // Validating our own output catches a writer that drifted from its schema
  // before a broken file reaches the next stage.
  const Schema& schema = schema_for_kind(kind_);
  const auto problems = validate(file_, schema);
  if (!problems.empty()) {
    throw Error(str("internal: output does not follow its schema: ",
                    str(quoted(path()), " ", schema.name, ": ", join(problems, "; "))));
  }
  file_.close();
  atomic_.commit();
}

File open_artifact(const std::string& path, const std::string& kind) {
  const Schema& schema = schema_for_kind(kind);
  File file = File::open(path);
  if (!has_attribute(file, "/", "schema")) {
    throw SchemaError(str(quoted(path), " is not an occ ", kind, " file: it has no 'schema' attribute"));
  }
  const std::string name = read_string_attribute(file, "/", "schema");
  if (name != schema.name) {
    throw SchemaError(str(quoted(path), " is an ", name, " file, expected ", schema.name));
  }
  const auto problems = validate(file, schema);
  if (!problems.empty()) throw_problems(path, schema, problems);
  // The cheap value checks (geometry, indices, offsets); occ inspect
  // --validate runs every check.
  const auto values = check_values(file, schema, false);
  if (!values.empty()) throw_problems(path, schema, values);
  return file;
}

void require_made_from(const File& derived, const File& frames) {
  const std::string recorded = read_string_attribute(derived, "/", "frames_uuid");
  const std::string actual = read_string_attribute(frames, "/", "uuid");
  if (recorded != actual) {
    throw FormatError(str(quoted(derived.path()), " was made from another frames file (frames_uuid ",
                          recorded, "), not from ", quoted(frames.path()), " (uuid ", actual, ")"));
  }
}

}  // namespace occ::h5
