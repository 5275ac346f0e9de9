#include "version.h"

#include <ostream>

#include "core/library_versions.h"
#include "core/version.h"

namespace occ::cmd {

void print_versions(std::ostream& out, const std::string& libtorch_version, bool cuda_available) {
  out << "occ " << OCC_VERSION << "\n";
  out << "LibTorch " << libtorch_version << "\n";
  for (const auto& [name, version] : library_versions()) out << name << " " << version << "\n";
  out << "CUDA " << (cuda_available ? "available" : "not available") << "\n";
}

}  // namespace occ::cmd
