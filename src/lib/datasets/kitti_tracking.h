#pragma once
// KITTI tracking (KITTI-MOT) files (formats.md): calib/<seq>.txt,
// oxts/<seq>.txt and label_02/<seq>.txt of one sequence, parsed into the
// transforms occ stores. The ego frame is the Velodyne frame (x forward,
// y left, z up, as occ's ego frame); the camera is image_02 (camera 2).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "geom/rigid.h"

namespace occ::datasets {

using geom::Matrix4;  // row-major 4x4, <target>_from_<source>

struct KittiCalibration {
  std::array<double, 9> intrinsics{};  // K of P2
  Matrix4 ego_from_camera{};           // Velodyne from rectified camera 2
  Matrix4 rect_from_velo{};            // rectified camera 0 from Velodyne (R0_rect * Tr_velo_to_cam)
  Matrix4 velo_from_imu{};             // Tr_imu_to_velo
  // Stereo baseline of camera 2 to camera 3 in metres, (P2[0,3] - P3[0,3]) /
  // fx (P = K [I | t]: P[0,3] = fx t_x, up to the sub-millimetre c_x t_z
  // term), as the KITTI stereo devkits and monodepth2 read it; 0 when the
  // file has no P3 line.
  double stereo_baseline_m = 0;
};

// Reads P2 (and P3, when present, for the stereo baseline), R0_rect and Tr_velo_to_cam / Tr_imu_to_velo under
// the official tracking names (R_rect, Tr_velo_cam, Tr_imu_velo, no colons) or the object-detection names
// (R0_rect:, Tr_velo_to_cam:, Tr_imu_to_velo:). Throws IoError / FormatError naming the file and the key.
KittiCalibration read_kitti_calibration(const std::string& path);

// IMU poses of every oxts line relative to the first, by the KITTI raw
// devkit's convertOxtsToPose (Mercator projection scaled at the first
// latitude; R = Rz(yaw) Ry(pitch) Rx(roll)).
std::vector<Matrix4> read_kitti_oxts_poses(const std::string& path);

struct KittiLabel {
  int64_t frame = 0;
  int32_t track = -1;
  std::string type;                        // Car, Van, Truck, Pedestrian, Person_sitting, Cyclist, Tram, Misc
  std::array<double, 3> size_hwl{};        // metres
  std::array<double, 3> bottom_in_rect{};  // bottom centre, rectified camera 0 frame
  double rotation_y = 0;                   // about the camera's y (down) axis
};

// Every object of label_02/<seq>.txt except DontCare; throws FormatError
// naming the file and line.
std::vector<KittiLabel> read_kitti_labels(const std::string& path);

// The SemanticKITTI learning class of a KITTI object type (the class set a
// kitti-mot frames file carries), or -1 for a type occ does not know.
int semantickitti_class_of_kitti_type(const std::string& type);
const std::vector<std::string>& semantickitti_class_names();

// Matrix helpers shared by the KITTI readers.
using geom::multiply;
// Inverse of an affine 4x4 (rotation part inverted exactly, not transposed:
// KITTI's R0_rect and Tr are orthonormal only to their printed digits).
Matrix4 affine_inverse(const Matrix4& m);
// The numbers of the files `folder`/<number><extension> (KITTI names frames
// 000010.png, scans 000005.bin), sorted. Throws IoError for a missing folder,
// FormatError for a file not named by a number (`what`: "image") or none.
std::vector<int64_t> numbered_files(const std::string& folder, const std::string& extension,
                                    const std::string& what);
// A KITTI projection row-major 3x4 P = K [I | t]: its intrinsics K, and the
// camera frame as the rectified (cam0) frame shifted by t = K^-1 P[:, 3].
std::array<double, 9> intrinsics_of_projection(const std::vector<double>& projection);
Matrix4 camera_from_rectified(const std::vector<double>& projection);
// The stereo baseline of the cameras of projections P2 and P3 (12 numbers
// each) in metres, (P2[0,3] - P3[0,3]) / fx; FormatError naming `path` when
// it is not positive (camera 3 must lie right of camera 2).
double stereo_baseline(const std::vector<double>& p2, const std::vector<double>& p3, const std::string& path);

}  // namespace occ::datasets
