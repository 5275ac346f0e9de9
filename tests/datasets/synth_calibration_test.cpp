// The synthetic rigs use the real calibration of the fixtures, rescaled.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "datasets/synth/rig.h"

namespace occ::synth {
namespace {

std::string read_fixture(const std::string& relative) {
  std::ifstream in(std::string(OCC_FIXTURES_DIR) + "/" + relative);
  EXPECT_TRUE(in) << relative;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(SynthRig, NuscenesCamerasAreTheFixtureCalibrationScaled) {
  const auto info = nlohmann::json::parse(read_fixture("nuscenes_mmdet3d/nus_info.converted.json"));
  const auto& images = info.at("data_list").at(0).at("images");
  const Rig rig = nuscenes_rig();
  const auto cameras = rig.cameras_at(96, 176);
  ASSERT_EQ(cameras.size(), 6u);
  for (const auto& camera : cameras) {
    const auto& fixture = images.at(camera.name);
    const auto k = fixture.at("cam2img");
    EXPECT_NEAR(camera.fx, k[0][0].get<double>() * 176 / 1600, 1e-9) << camera.name;
    EXPECT_NEAR(camera.fy, k[1][1].get<double>() * 96 / 900, 1e-9) << camera.name;
    EXPECT_NEAR(camera.cx, k[0][2].get<double>() * 176 / 1600, 1e-9) << camera.name;
    EXPECT_NEAR(camera.cy, k[1][2].get<double>() * 96 / 900, 1e-9) << camera.name;
    const auto e = fixture.at("cam2ego");
    double m[16];
    camera.ego_from_camera.to_matrix(m);
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 4; ++c) EXPECT_NEAR(m[r * 4 + c], e[r][c].get<double>(), 1e-12) << camera.name;
    }
  }
  const auto lidar = info.at("data_list").at(0).at("lidar_points").at("lidar2ego");
  EXPECT_NEAR(rig.lidar.origin_in_ego.x, lidar[0][3].get<double>(), 1e-12);
  EXPECT_NEAR(rig.lidar.origin_in_ego.z, lidar[2][3].get<double>(), 1e-12);
}

std::vector<double> calib_row(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream values(line.substr(key.size() + 1));
    std::vector<double> row;
    double v;
    while (values >> v) row.push_back(v);
    return row;
  }
  ADD_FAILURE() << "no " << key;
  return {};
}

TEST(SynthRig, KittiCameraIsTheFixtureCalibrationScaled) {
  const std::string calib = read_fixture("kitti_tracking/training/calib/0001.txt");
  const auto p2 = calib_row(calib, "P2"), rect = calib_row(calib, "R0_rect"),
             velo = calib_row(calib, "Tr_velo_to_cam");
  ASSERT_EQ(p2.size(), 12u);
  const Rig rig = kitti_rig();
  const auto camera = rig.cameras_at(96, 320).at(0);
  EXPECT_NEAR(camera.fx, p2[0] * 320 / 1242, 1e-9);
  EXPECT_NEAR(camera.fy, p2[5] * 96 / 375, 1e-9);
  EXPECT_NEAR(camera.cx, p2[2] * 320 / 1242, 1e-9);
  EXPECT_NEAR(camera.cy, p2[6] * 96 / 375, 1e-9);
  // P2 * R0_rect * Tr_velo_to_cam maps a Velodyne point to the image; so
  // must K * camera_from_ego (at native size).
  const auto native = rig.cameras.at(0);
  const geom::Rigid camera_from_ego = native.ego_from_camera.inverse();
  for (const geom::Vec3 point : {geom::Vec3{12, 3, -1}, geom::Vec3{30, -8, 0.5}, geom::Vec3{6, 0.2, -1.6}}) {
    double in_cam0[3], rectified[3], projected[3];
    for (int r = 0; r < 3; ++r) {
      in_cam0[r] = velo[size_t(r * 4)] * point.x + velo[size_t(r * 4 + 1)] * point.y +
                   velo[size_t(r * 4 + 2)] * point.z + velo[size_t(r * 4 + 3)];
    }
    for (int r = 0; r < 3; ++r) {
      rectified[r] = rect[size_t(r * 3)] * in_cam0[0] + rect[size_t(r * 3 + 1)] * in_cam0[1] +
                     rect[size_t(r * 3 + 2)] * in_cam0[2];
    }
    for (int r = 0; r < 3; ++r) {
      projected[r] = p2[size_t(r * 4)] * rectified[0] + p2[size_t(r * 4 + 1)] * rectified[1] +
                     p2[size_t(r * 4 + 2)] * rectified[2] + p2[size_t(r * 4 + 3)];
    }
    double u, v;
    ASSERT_TRUE(native.project(camera_from_ego.apply(point), u, v));
    EXPECT_NEAR(u, projected[0] / projected[2], 1e-3);
    EXPECT_NEAR(v, projected[1] / projected[2], 1e-3);
  }
}

TEST(SynthRig, ClassNamesAreThoseOfTheLabelSets) {
  const Rig nuscenes = nuscenes_rig();
  ASSERT_EQ(nuscenes.class_names.size(), 18u);
  EXPECT_EQ(nuscenes.class_names[17], "free");
  EXPECT_EQ(nuscenes.free_class, 17);
  EXPECT_EQ(nuscenes.class_names[nuscenes.class_of(Kind::road)], "driveable_surface");
  EXPECT_EQ(nuscenes.class_names[nuscenes.class_of(Kind::pedestrian)], "pedestrian");
  // Every Occ3D class but free has something in the world that carries it.
  std::set<int> covered;
  for (int k = 0; k < kKindCount; ++k) covered.insert(nuscenes.class_of_kind[size_t(k)]);
  for (int id = 0; id < 17; ++id) EXPECT_TRUE(covered.count(id)) << nuscenes.class_names[size_t(id)];
  // SemanticKITTI: learning_map_inv ids 0..19 named by the yaml's labels.
  const std::string yaml = read_fixture("semantickitti/semantic-kitti.yaml");
  const auto inverse_start = yaml.find("learning_map_inv:");
  ASSERT_NE(inverse_start, std::string::npos);
  std::istringstream lines(yaml.substr(inverse_start));
  std::string line;
  std::getline(lines, line);
  const std::regex entry(R"(^\s+(\d+):\s+(\d+)\s+#\s+"([^"]+)\")");
  const Rig kitti = kitti_rig();
  int seen = 0;
  while (std::getline(lines, line)) {
    std::smatch match;
    if (!std::regex_search(line, match, entry)) break;
    const auto id = static_cast<size_t>(std::stoi(match[1]));
    ASSERT_LT(id, kitti.class_names.size());
    const std::string name = match[3];
    EXPECT_EQ(kitti.class_names[id], id == 0 ? "unlabeled" : name) << id;
    ++seen;
  }
  EXPECT_EQ(seen, 20);
  EXPECT_EQ(kitti.free_class, 0);
  for (int k = 0; k < kKindCount; ++k)
    EXPECT_NE(kitti.class_of_kind[size_t(k)], 0) << "kind " << k << " maps to empty";
}

}  // namespace
}  // namespace occ::synth
