#pragma once
// OpenOcc (OccNet / CVPR 2024 occupancy and flow challenge) ground truth:
// <root>/<scene>/<sample_token>/labels.npz with `semantics` uint8 (X, Y, Z)
// and `flow` float32 (X, Y, Z, 2), m/s along ego x and y (formats.md); some
// releases add `mask_camera` / `mask_lidar`. OpenOcc numbers its 17 classes
// in another order than Occ3D (car first, free = 16); they are renumbered
// into Occ3D ids on read, so a frames file has one class list.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace occ::datasets {

struct OpenOccLabels {
  std::vector<uint8_t> semantics;                // Occ3D ids, [x][y][z]; 255 stays ignored
  std::vector<float> flow;                       // [x][y][z][2]
  std::vector<uint8_t> mask_camera, mask_lidar;  // empty when the file has none
};

// OpenOcc class names in OpenOcc id order (SparseOcc RayIoU_metrics/config.py,
// openocc_class_names).
const std::vector<std::string>& openocc_class_names();

// Occ3D id of an OpenOcc id (by class name); 255 for ids OpenOcc does not have.
uint8_t occ3d_class_of_openocc(uint8_t openocc_id);

// Throws IoError for a missing file and FormatError naming the file and the
// entry for a missing entry, another dtype or shape, or an unknown class.
OpenOccLabels read_openocc_labels(const std::string& path, const std::array<int64_t, 3>& grid_shape);

// Which optional masks a labels file has, to lay out the frames file before
// reading every sample.
struct OpenOccEntries {
  bool mask_camera = false, mask_lidar = false;
};
OpenOccEntries openocc_entries(const std::string& path);

}  // namespace occ::datasets
