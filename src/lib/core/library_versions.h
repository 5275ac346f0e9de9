#pragma once
// Versions of the torch-free libraries occ links, for `occ --version`.
#include <string>
#include <utility>
#include <vector>

namespace occ {

// (name, version) pairs: OpenCV, HDF5, zstd.
std::vector<std::pair<std::string, std::string>> library_versions();

}  // namespace occ
