#pragma once
// The KITTI tracking fixture (sequence 0001: images 10, 15 and 20, calib,
// labels) as a dataset root in a temporary folder, plus the oxts file the
// fixture lacks: the car drives north east, heading 0.7 rad.
#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace occ::test {

inline std::string kitti_fixture_root(const TempDir& dir) {
  namespace fs = std::filesystem;
  const std::string fixture = std::string(OCC_FIXTURES_DIR) + "/kitti_tracking/training";
  const std::string root = dir.file("training");
  fs::create_directories(root + "/oxts");
  for (const char* folder : {"image_02", "calib", "label_02"})
    fs::create_directory_symlink(fixture + "/" + folder, root + "/" + folder);
  std::ofstream oxts(root + "/oxts/0001.txt");
  oxts.precision(17);
  for (int frame = 0; frame < 25; ++frame) {
    oxts << 49.0 + frame * 1e-5 << " " << 8.4 + frame * 1e-5 << " 110 0 0 0.7";
    for (int i = 6; i < 30; ++i) oxts << " 0";
    oxts << "\n";
  }
  return root;
}

}  // namespace occ::test
