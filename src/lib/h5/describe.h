#pragma once
// What `occ inspect` reports about a file: kind, provenance, every dataset
// with shape, dtype, chunking and compression, and validation problems.
#include <string>
#include <utility>
#include <vector>

#include "h5/attributes.h"
#include "h5/dataset.h"

namespace occ::h5 {

struct FileReport {
  std::string path;
  std::string schema;  // "occ.frames", or "" for a foreign HDF5 file
  int64_t schema_version = -1;
  std::vector<std::pair<std::string, AttributeValue>> attributes;
  std::vector<DatasetInfo> datasets;
  bool validated = false;
  std::vector<std::string> problems;  // filled when validated
};

// Describes any HDF5 file. With `validate`, checks it against the schema its
// `schema` attribute names (an unknown or missing schema is a problem).
FileReport describe_file(const File& file, bool validate);

std::string report_text(const FileReport& report);
std::string report_json(const FileReport& report);

}  // namespace occ::h5
