// The table folders occ prep nuscenes reads, apart from the reader
// (nuscenes_prep.cpp) so that the occ executable lists them in
// `occ prep nuscenes --help` without linking the reader and the OpenCV it
// needs (docs/startup.md).
#include "datasets/nuscenes_prep.h"

namespace occ::datasets {

const std::vector<std::string>& nuscenes_versions() {
  static const std::vector<std::string> versions = {"v1.0-trainval", "v1.0-mini", "v1.0-test", "v1.01-train",
                                                    "v1.01-test"};
  return versions;
}

}  // namespace occ::datasets
