#pragma once
// Occ3D-nuScenes ground truth: gts/<scene>/<sample_token>/labels.npz with
// `semantics`, `mask_lidar` and `mask_camera`, each uint8 [X, Y, Z]
// (formats.md), read with occ's own NPZ reader (stored or deflated entries).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace occ::npy {
class NpzReader;
}

namespace occ::datasets {

struct Occ3dLabels {
  std::vector<uint8_t> semantics, mask_lidar, mask_camera;  // [x][y][z], C order
};

// Throws IoError for a missing or unreadable file and FormatError naming the
// file and the entry for a missing entry, another dtype or another shape
// than `grid_shape`, or a class id >= `class_count`.
Occ3dLabels read_occ3d_labels(const std::string& path, const std::array<int64_t, 3>& grid_shape,
                              int class_count);

// One uint8 (or bool) grid entry of a labels.npz, checked against
// `grid_shape`; throws FormatError naming the file and the entry. Shared
// with the OpenOcc reader.
std::vector<uint8_t> read_label_grid(const npy::NpzReader& npz, const std::string& name,
                                     const std::array<int64_t, 3>& grid_shape);

// The path of a sample's labels below an Occ3D folder.
std::string occ3d_labels_path(const std::string& occ3d_root, const std::string& scene_name,
                              const std::string& sample_token);

}  // namespace occ::datasets
