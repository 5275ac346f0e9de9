#pragma once
// Whole-file binary writes and reads for the per-frame export formats.
#include <string>

namespace occ::exporting {

// Writes `size` bytes to `storage_path` (inside an output folder or an
// atomic temporary); errors name `display_path`.
void write_binary_file(const std::string& storage_path, const std::string& display_path, const void* data,
                       size_t size);
// Reads a whole file; throws IoError naming it.
std::string read_binary_file(const std::string& path);

}  // namespace occ::exporting
