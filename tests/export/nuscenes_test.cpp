// frames -> nuScenes: quaternions, tokens, and the tables, files and links
// of an exported two-scene dataset.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "export/export.h"
#include "export/nuscenes_records.h"
#include "support/export_files.h"
#include "support/temp_dir.h"

namespace occ::exporting {
namespace {

using json = nlohmann::json;

// Camera axes (x right, y down, z forward) in the ego frame (x forward,
// y left, z up), 1.5 m up.
const Matrix4d kEgoFromCamera{0, 0, 1, 0.5, -1, 0, 0, 0, 0, -1, 0, 1.5, 0, 0, 0, 1};

Matrix4d from_quaternion(const json& q) {
  const double w = q[0], x = q[1], y = q[2], z = q[3];
  return {1 - 2 * (y * y + z * z),
          2 * (x * y - z * w),
          2 * (x * z + y * w),
          0,
          2 * (x * y + z * w),
          1 - 2 * (x * x + z * z),
          2 * (y * z - x * w),
          0,
          2 * (x * z - y * w),
          2 * (y * z + x * w),
          1 - 2 * (x * x + y * y),
          0,
          0,
          0,
          0,
          1};
}

TEST(NuScenesRecords, QuaternionsRebuildTheRotation) {
  const auto q = rotation_quaternion(kEgoFromCamera);
  EXPECT_GE(q[0], 0);
  const Matrix4d rebuilt = from_quaternion(json{q[0], q[1], q[2], q[3]});
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(rebuilt[r * 4 + c], kEgoFromCamera[r * 4 + c], 1e-12) << r << c;
  const Matrix4d yaw90{0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  const auto z = rotation_quaternion(yaw90);
  EXPECT_NEAR(z[0], std::sqrt(0.5), 1e-12);
  EXPECT_NEAR(z[3], std::sqrt(0.5), 1e-12);
}

TEST(NuScenesRecords, TokensAreStable32HexStrings) {
  const std::string token = nuscenes_token("scene/scene-0");
  EXPECT_EQ(token.size(), 32u);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(token, nuscenes_token("scene/scene-0"));
  EXPECT_NE(token, nuscenes_token("scene/scene-1"));
}

json read_table(const test::TempDir& dir, const std::string& name) {
  std::ifstream in(dir.file("ns/v1.0-test/" + name + ".json"));
  return json::parse(in);
}

std::map<std::string, json> by_token(const json& table) {
  std::map<std::string, json> records;
  for (const auto& record : table) records[record["token"]] = record;
  return records;
}

// Scene 0: keyframe, sweep, keyframe; scene 1: one keyframe. A car box in
// both keyframes of scene 0, LiDAR points, occupancy, 8x16 images.
struct NuScenesFixture {
  test::TempDir dir;
  NuScenesFixture() {
    test::ExportFrames spec;
    spec.tokens = {"key-0", "sweep-0", "key-1", "other-0"};
    spec.scene = {0, 0, 0, 1};
    spec.keyframe = {1, 0, 1, 1};
    spec.world_from_ego = {{1, 0, 0, 100, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
                           {1, 0, 0, 101, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
                           {1, 0, 0, 102, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
                           {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}};
    spec.lidar_origin = std::vector<std::array<double, 3>>(4, {1, 0, 2});
    spec.ego_from_camera = kEgoFromCamera;
    spec.grid_shape = {4, 4, 2};
    spec.grid_origin_m = {-1, -1, 0};
    spec.semantics.assign(4 * 32, 17);
    spec.semantics[5] = 4;
    spec.mask_lidar.assign(4 * 32, 1);
    spec.image_height = 8;
    spec.image_width = 16;
    spec.lidar_points = {{{5, 0, 1, 0.5f}, {0, 0, 0, 0.1f}}, {{1, 1, 1, 1}}, {{5.1f, 0, 1, 0.5f}}, {}};
    spec.boxes = {{0, {5, 0, 1}, {2, 4, 2}, 0, 4, 7}, {2, {5, 0, 1}, {2, 4, 2}, M_PI / 2, 4, 7}};
    test::write_export_frames(dir.file("frames.h5"), spec);
    ExportOptions options;
    options.input = dir.file("frames.h5");
    options.format = "nuscenes";
    options.output = dir.file("ns");
    options.nuscenes_version = "v1.0-test";
    EXPECT_EQ(run_export(options).items, 4);
  }
};

TEST(NuScenes, TablesLinkSamplesSweepsPosesAndCalibrations) {
  NuScenesFixture fixture;
  for (const char* name : {"scene", "sample", "sample_data", "ego_pose", "calibrated_sensor", "sensor", "log",
                           "map", "category", "instance", "sample_annotation", "attribute", "visibility"}) {
    EXPECT_TRUE(std::filesystem::exists(fixture.dir.file(std::string("ns/v1.0-test/") + name + ".json")))
        << name;
  }
  const json samples = read_table(fixture.dir, "sample");
  ASSERT_EQ(samples.size(), 3u);
  const auto sample = by_token(samples);
  EXPECT_EQ(sample.at("key-0")["next"], "key-1");
  EXPECT_EQ(sample.at("key-1")["prev"], "key-0");
  EXPECT_EQ(sample.at("other-0")["prev"], "");
  const auto scenes = read_table(fixture.dir, "scene");
  ASSERT_EQ(scenes.size(), 2u);
  EXPECT_EQ(scenes[0]["first_sample_token"], "key-0");
  EXPECT_EQ(scenes[0]["last_sample_token"], "key-1");
  EXPECT_EQ(scenes[0]["nbr_samples"], 2);
  const auto sensors = by_token(read_table(fixture.dir, "sensor"));
  const auto calibrations = by_token(read_table(fixture.dir, "calibrated_sensor"));
  const auto poses = by_token(read_table(fixture.dir, "ego_pose"));
  int cameras = 0, sweeps = 0;
  for (const auto& record : read_table(fixture.dir, "sample_data")) {
    const json& calibration = calibrations.at(record["calibrated_sensor_token"]);
    const std::string channel = sensors.at(calibration["sensor_token"])["channel"];
    EXPECT_TRUE(poses.count(record["ego_pose_token"]));
    EXPECT_TRUE(std::filesystem::exists(fixture.dir.file("ns/" + record["filename"].get<std::string>())));
    if (channel != "CAM_FRONT") continue;
    ++cameras;
    const Matrix4d rotation = from_quaternion(calibration["rotation"]);
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) EXPECT_NEAR(rotation[r * 4 + c], kEgoFromCamera[r * 4 + c], 1e-9);
    EXPECT_EQ(calibration["camera_intrinsic"][0][0], 100);
    const cv::Mat image = cv::imread(fixture.dir.file("ns/" + record["filename"].get<std::string>()));
    EXPECT_EQ(image.cols, 16);
    EXPECT_EQ(image.rows, 8);
    if (!record["is_key_frame"].get<bool>()) {
      ++sweeps;
      EXPECT_EQ(record["sample_token"], "key-0") << "a sweep belongs to the keyframe before it";
      EXPECT_EQ(record["filename"].get<std::string>().rfind("sweeps/CAM_FRONT/", 0), 0u);
      EXPECT_NE(record["prev"], "");
      EXPECT_NE(record["next"], "");
    }
  }
  EXPECT_EQ(cameras, 4);
  EXPECT_EQ(sweeps, 1);
  EXPECT_EQ(
      std::filesystem::file_size(fixture.dir.file("ns/samples/LIDAR_TOP/scene-0__LIDAR_TOP__0.pcd.bin")),
      2u * 5 * sizeof(float));
}

TEST(NuScenes, BoxesBecomeGlobalAnnotationsOfOneInstance) {
  NuScenesFixture fixture;
  const json annotations = read_table(fixture.dir, "sample_annotation");
  ASSERT_EQ(annotations.size(), 2u);
  EXPECT_NEAR(annotations[0]["translation"][0].get<double>(), 105, 1e-9) << "ego at x = 100";
  EXPECT_NEAR(annotations[1]["translation"][0].get<double>(), 107, 1e-9) << "ego at x = 102";
  EXPECT_EQ(annotations[0]["num_lidar_pts"], 1);
  EXPECT_EQ(annotations[0]["next"], annotations[1]["token"]);
  const json instances = read_table(fixture.dir, "instance");
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0]["nbr_annotations"], 2);
  const auto categories = by_token(read_table(fixture.dir, "category"));
  EXPECT_EQ(categories.at(instances[0]["category_token"])["name"], "car");
  EXPECT_EQ(categories.size(), 17u) << "every class but free";
}

TEST(NuScenes, Occ3dGroundTruthForKeyframesOnly) {
  NuScenesFixture fixture;
  EXPECT_TRUE(std::filesystem::exists(fixture.dir.file("ns/gts/scene-0/key-0/labels.npz")));
  EXPECT_TRUE(std::filesystem::exists(fixture.dir.file("ns/gts/scene-1/other-0/labels.npz")));
  EXPECT_FALSE(std::filesystem::exists(fixture.dir.file("ns/gts/scene-0/sweep-0")));
}

TEST(NuScenes, FramesWithoutImagesLeaveNothing) {
  test::TempDir dir;
  test::write_export_frames(dir.file("frames.h5"), {});
  ExportOptions options;
  options.input = dir.file("frames.h5");
  options.format = "nuscenes";
  options.output = dir.file("ns");
  EXPECT_THROW(run_export(options), FormatError);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"frames.h5"});
}

}  // namespace
}  // namespace occ::exporting
