// libFuzzer target: the text files of KITTI tracking (calib, oxts, label_02)
// and SemanticKITTI (calib.txt, poses.txt, times.txt) and the binary voxel
// and scan files. The first byte picks the reader, the rest is the file.
#include <cstddef>
#include <cstdint>

#include "datasets/kitti_tracking.h"
#include "datasets/semantickitti.h"
#include "datasets/sensor_files.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const std::string path = occ::fuzz::scratch_path("input.txt");
  occ::fuzz::write_bytes(path, data + 1, size - 1);
  namespace ds = occ::datasets;
  occ::fuzz::expect_clean([&] {
    switch (data[0] % 9) {
      case 0:
        ds::read_kitti_calibration(path);
        break;
      case 1:
        ds::read_kitti_oxts_poses(path);
        break;
      case 2:
        ds::read_kitti_labels(path);
        break;
      case 3:
        ds::read_semantickitti_calibration(path);
        break;
      case 4:
        ds::read_semantickitti_poses(path);
        break;
      case 5:
        ds::read_semantickitti_times(path);
        break;
      case 6:
        ds::read_packed_voxels(path, 256 * 256 * 32);
        break;
      case 7:
        ds::read_voxel_labels(path, 64);
        break;
      default:
        ds::read_kitti_scan(path);
        break;
    }
  });
  return 0;
}
