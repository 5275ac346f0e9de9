// KITTI tracking readers on the real fixture (sequence 0001): calibration
// under both key styles, the camera chain against KITTI's own projection
// P2 * R0_rect * Tr_velo_to_cam, oxts poses by the devkit's Mercator
// formula, and the labels.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "datasets/kitti_tracking.h"
#include "support/temp_dir.h"

namespace occ::datasets {
namespace {

const std::string kSequence = std::string(OCC_FIXTURES_DIR) + "/kitti_tracking/training";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<double> numbers_after(const std::string& text, const std::string& key) {
  std::istringstream in(text.substr(text.find(key) + key.size()));
  std::vector<double> values(12);
  for (auto& v : values) in >> v;
  return values;
}

TEST(KittiTracking, CalibrationChainsToKittisOwnProjection) {
  const std::string path = kSequence + "/calib/0001.txt";
  const KittiCalibration calibration = read_kitti_calibration(path);
  EXPECT_DOUBLE_EQ(calibration.intrinsics[0], 721.5377);
  EXPECT_DOUBLE_EQ(calibration.intrinsics[2], 609.5593);
  const Matrix4& e = calibration.ego_from_camera;
  EXPECT_GT(e[2], 0.99);          // the optical axis is the Velodyne's x (forward)
  EXPECT_LT(e[4], -0.99);         // camera x (right) is ego -y
  EXPECT_NEAR(e[3], 0.27, 0.05);  // camera 2 sits ~0.27 m ahead of the Velodyne
  // A point ahead of the car projects through our matrices where KITTI's
  // P2 * R0_rect * Tr_velo_to_cam puts it, and inside the 1242x375 image.
  const std::string text = read_text(path);
  const auto p2 = numbers_after(text, "P2:");
  const Matrix4 camera_from_ego = affine_inverse(e);
  for (const std::array<double, 3> point : {std::array<double, 3>{10, 0, 0}, {20, 3, -1}, {7, -2, 0.5}}) {
    const auto& r = calibration.rect_from_velo;
    double rect[3], camera[3];
    for (int i = 0; i < 3; ++i) {
      rect[i] = r[size_t(i * 4)] * point[0] + r[size_t(i * 4 + 1)] * point[1] +
                r[size_t(i * 4 + 2)] * point[2] + r[size_t(i * 4 + 3)];
      camera[i] = camera_from_ego[size_t(i * 4)] * point[0] + camera_from_ego[size_t(i * 4 + 1)] * point[1] +
                  camera_from_ego[size_t(i * 4 + 2)] * point[2] + camera_from_ego[size_t(i * 4 + 3)];
    }
    const double u_kitti = (p2[0] * rect[0] + p2[1] * rect[1] + p2[2] * rect[2] + p2[3]) /
                           (p2[8] * rect[0] + p2[9] * rect[1] + p2[10] * rect[2] + p2[11]);
    const double v_kitti = (p2[4] * rect[0] + p2[5] * rect[1] + p2[6] * rect[2] + p2[7]) /
                           (p2[8] * rect[0] + p2[9] * rect[1] + p2[10] * rect[2] + p2[11]);
    const auto& k = calibration.intrinsics;
    const double u = (k[0] * camera[0] + k[1] * camera[1] + k[2] * camera[2]) / camera[2];
    const double v = (k[4] * camera[1] + k[5] * camera[2]) / camera[2];
    EXPECT_NEAR(u, u_kitti, 1e-6);
    EXPECT_NEAR(v, v_kitti, 1e-6);
    EXPECT_TRUE(u > 0 && u < 1242 && v > 0 && v < 375) << u << ", " << v;
  }
}

TEST(KittiTracking, OfficialAndObjectStyleKeysGiveTheSameCalibration) {
  std::string text = read_text(kSequence + "/calib/0001.txt");
  for (const auto& [object, official] : std::vector<std::pair<std::string, std::string>>{
           {"R0_rect:", "R_rect"}, {"Tr_velo_to_cam:", "Tr_velo_cam"}, {"Tr_imu_to_velo:", "Tr_imu_velo"}}) {
    text.replace(text.find(object), object.size(), official);
  }
  test::TempDir dir;
  std::ofstream(dir.file("0001.txt")) << text;
  const KittiCalibration official = read_kitti_calibration(dir.file("0001.txt"));
  const KittiCalibration object = read_kitti_calibration(kSequence + "/calib/0001.txt");
  EXPECT_EQ(official.ego_from_camera, object.ego_from_camera);
  EXPECT_EQ(official.velo_from_imu, object.velo_from_imu);

  text.replace(text.find("R_rect"), 6, "R_nope");
  std::ofstream(dir.file("0001.txt"), std::ios::trunc) << text;
  try {
    read_kitti_calibration(dir.file("0001.txt"));
    FAIL() << "no error for a calibration without R0_rect";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("'R0_rect'"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(dir.file("0001.txt")), std::string::npos) << error.what();
  }
}

TEST(KittiTracking, StereoBaselineOfP2AndP3OrNoneWithoutP3) {
  const std::string text = read_text(kSequence + "/calib/0001.txt");
  const auto p2 = numbers_after(text, "P2:"), p3 = numbers_after(text, "P3:");
  EXPECT_DOUBLE_EQ(read_kitti_calibration(kSequence + "/calib/0001.txt").stereo_baseline_m,
                   (p2[3] - p3[3]) / p2[0]);
  EXPECT_NEAR((p2[3] - p3[3]) / p2[0], 0.5327, 1e-4);  // KITTI's ~0.54 m rig
  test::TempDir dir;
  std::string without = text;
  without.replace(without.find("P3:"), 3, "Px:");
  std::ofstream(dir.file("0001.txt")) << without;
  EXPECT_EQ(read_kitti_calibration(dir.file("0001.txt")).stereo_baseline_m, 0.0);
  // P2 and P3 swapped: camera 3 left of camera 2 is an error naming the file.
  EXPECT_THROW(stereo_baseline(p3, p2, "swapped.txt"), FormatError);
  try {
    stereo_baseline(p3, p2, "swapped.txt");
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("'swapped.txt'"), std::string::npos) << error.what();
  }
}

std::string oxts_line(double lat, double lon, double alt, double yaw) {
  std::ostringstream line;
  line.precision(17);
  line << lat << " " << lon << " " << alt << " 0 0 " << yaw;
  for (int i = 6; i < 30; ++i) line << " 0";
  return line.str() + "\n";
}

TEST(KittiTracking, OxtsPosesFollowTheDevkitMercatorProjection) {
  test::TempDir dir;
  const double lat = 49.011, lon = 8.422, step = 1e-4;
  std::ofstream(dir.file("oxts.txt")) << oxts_line(lat, lon, 110, 0.3) << oxts_line(lat, lon + step, 110, 0.3)
                                      << oxts_line(lat, lon, 112, 0.3 + M_PI / 2);
  const auto poses = read_kitti_oxts_poses(dir.file("oxts.txt"));
  ASSERT_EQ(poses.size(), 3u);
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(poses[0][size_t(i)], i % 5 == 0 ? 1 : 0, 1e-12);
  // East by `step` degrees of longitude: scale * step * pi * R / 180 metres
  // (scale = cos(first latitude)), seen from the first pose's yaw of 0.3.
  const double east = std::cos(lat * M_PI / 180) * step * M_PI * 6378137.0 / 180;
  EXPECT_NEAR(poses[1][3], std::cos(0.3) * east, 1e-6);
  EXPECT_NEAR(poses[1][7], -std::sin(0.3) * east, 1e-6);
  EXPECT_NEAR(poses[2][11], 2.0, 1e-9);
  EXPECT_NEAR(std::atan2(poses[2][4], poses[2][0]), M_PI / 2, 1e-9);

  std::ofstream(dir.file("oxts.txt"), std::ios::app) << "1 2 3\n";
  EXPECT_THROW(read_kitti_oxts_poses(dir.file("oxts.txt")), FormatError);
}

TEST(KittiTracking, LabelsSkipDontCareAndKeepTrackIds) {
  const auto labels = read_kitti_labels(kSequence + "/label_02/0001.txt");
  int at_frame_20 = 0, vans = 0;
  for (const auto& label : labels) {
    EXPECT_NE(label.type, "DontCare");
    EXPECT_GE(label.track, 0);
    EXPECT_GE(semantickitti_class_of_kitti_type(label.type), 1) << label.type;
    if (label.frame == 20) {
      ++at_frame_20;
      vans += label.type == "Van";
    }
  }
  EXPECT_EQ(at_frame_20, 9);
  EXPECT_EQ(vans, 1);
}

}  // namespace
}  // namespace occ::datasets
