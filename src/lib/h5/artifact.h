#pragma once
// occ's files between stages ("artifacts"): an HDF5 file of one kind
// (frames, masks, flow, model, pred) with provenance attributes, written
// atomically and validated against data/schemas/<kind>.json.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "h5/atomic_file.h"
#include "h5/file.h"

namespace occ::h5 {

// Writes a new artifact. The provenance attributes (schema, schema_version,
// uuid, occ_version, created_by, created_at, options) are set at once;
// commit() validates the finished file against its schema, closes it and
// renames it into place. Destroyed without commit(), nothing is left behind.
class OutputArtifact {
 public:
  OutputArtifact(const std::string& path, const std::string& kind, const nlohmann::json& options);

  File& file() { return file_; }
  const std::string& uuid() const { return uuid_; }
  const std::string& path() const { return atomic_.final_path(); }
  // Records the frames file this one was made from (derived kinds).
  void set_frames_uuid(const std::string& frames_uuid);
  void commit();

 private:
  // Declared first so it is destroyed last: the HDF5 file closes before an
  // uncommitted temporary is removed.
  AtomicPath atomic_;
  std::string kind_;
  std::string uuid_;
  File file_;
};

// Opens an artifact of `kind` and validates it; throws SchemaError listing
// every problem, each naming the file and the dataset or attribute.
File open_artifact(const std::string& path, const std::string& kind);

// Throws FormatError unless `derived` records the uuid of `frames`.
void require_made_from(const File& derived, const File& frames);

}  // namespace occ::h5
