#pragma once
// `occ --version`: the versions of occ, LibTorch, OpenCV, HDF5 and zstd and
// whether CUDA is available, in one format whichever unit answers
// (docs/startup.md).
#include <iosfwd>
#include <string>

namespace occ::cmd {

void print_versions(std::ostream& out, const std::string& libtorch_version, bool cuda_available);

}  // namespace occ::cmd
