#pragma once
// SemanticKITTI semantic scene completion inputs (formats.md):
// sequences/<seq>/{calib.txt, poses.txt, times.txt, image_2/, voxels/}.
// Voxel files: .bin/.invalid/.occluded bit-packed (numpy.packbits order,
// most significant bit first; 262,144 bytes for 256 x 256 x 32 voxels) and
// .label uint16 per voxel, C order of [x, y, z] in the Velodyne frame.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "geom/rigid.h"

namespace occ::datasets {

using geom::Matrix4;  // row-major 4x4, <target>_from_<source>

constexpr int64_t kSemanticKittiVoxels = 256 * 256 * 32;

struct SemanticKittiCalibration {
  std::array<double, 9> intrinsics{};  // K of P2
  Matrix4 ego_from_camera{};           // Velodyne from camera 2
  Matrix4 cam0_from_velo{};            // Tr
  double stereo_baseline_m = 0;        // camera 2 to camera 3 (P2, P3); 0 without P3
};

// P2 and Tr (and P3, when present, for the stereo baseline) of an odometry calib.txt; throws naming the file
// and the key.
SemanticKittiCalibration read_semantickitti_calibration(const std::string& path);
// poses.txt: 12 numbers per scan, cam0 of scan i -> cam0 of scan 0.
std::vector<Matrix4> read_semantickitti_poses(const std::string& path);
// times.txt: seconds per scan, as whole microseconds.
std::vector<int64_t> read_semantickitti_times(const std::string& path);

// A bit-packed voxel file (.bin, .invalid, .occluded) as 0/1 per voxel;
// throws FormatError naming the file when it is not exactly `voxels` bits.
std::vector<uint8_t> read_packed_voxels(const std::string& path, int64_t voxels);
// A .label voxel file: uint16 per voxel, little endian.
std::vector<uint16_t> read_voxel_labels(const std::string& path, int64_t voxels);

// semantic-kitti.yaml's learning_map (raw label -> 20 learning classes),
// shipped here so prep needs no yaml; a test checks it against the
// PRBonn/semantic-kitti-api config the fixtures hold.
const std::map<int, int>& semantickitti_learning_map();

}  // namespace occ::datasets
