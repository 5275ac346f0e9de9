#include "core/library_versions.h"

#include <hdf5.h>
#include <zstd.h>
#include <opencv2/core/version.hpp>

#include "core/strings.h"

namespace occ {

std::vector<std::pair<std::string, std::string>> library_versions() {
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  return {
      {"OpenCV", CV_VERSION},
      {"HDF5", str(major, ".", minor, ".", release)},
      {"zstd", ZSTD_versionString()},
  };
}

}  // namespace occ
