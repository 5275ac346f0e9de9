// nuScenes / Lyft / Occ3D readers on the real fixtures (../shared/fixtures):
// the published Occ3D voxel counts, Lyft's float timestamps and calibration
// chain, the official splits, and real nuScenes calibration turned into
// tables and read back (cameras around the ego, projections in the image).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "datasets/frames_file.h"
#include "datasets/npy.h"
#include "datasets/nuscenes_prep.h"
#include "datasets/nuscenes_splits.h"
#include "datasets/nuscenes_tables.h"
#include "datasets/occ3d_classes.h"
#include "datasets/occ3d_labels.h"
#include "export/nuscenes_records.h"
#include "h5/dataset.h"
#include "support/temp_dir.h"

namespace occ::datasets {
namespace {

using json = nlohmann::json;
const std::string kFixtures = OCC_FIXTURES_DIR;
const std::string kOcc3dSample =
    kFixtures + "/occ3d_nuscenes/gts/29796060110c4163b07f06eff4af0753/labels.npz";

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(Occ3dLabels, RealSampleHasThePublishedVoxelCounts) {
  const Occ3dLabels labels = read_occ3d_labels(kOcc3dSample, {200, 200, 16}, 18);
  int64_t free = 0, lidar = 0, camera = 0, camera_outside_lidar = 0;
  for (size_t i = 0; i < labels.semantics.size(); ++i) {
    free += labels.semantics[i] == kOcc3dFreeClass;
    lidar += labels.mask_lidar[i] != 0;
    camera += labels.mask_camera[i] != 0;
    camera_outside_lidar += labels.mask_camera[i] != 0 && labels.mask_lidar[i] == 0;
  }
  EXPECT_EQ(free, 600908);
  EXPECT_EQ(lidar, 56601);
  EXPECT_EQ(camera, 43355);
  EXPECT_EQ(camera_outside_lidar, 0);
}

TEST(Occ3dLabels, WrongShapeWrongDtypeAndCorruptZipNameTheFileAndEntry) {
  test::TempDir dir;
  const std::string path = dir.file("labels.npz");
  const std::vector<uint8_t> zeros(100 * 200 * 16, 0);
  const npy::Array small = npy::make_uint8({100, 200, 16}, zeros);
  npy::write_npz(path, {{"semantics", small}, {"mask_lidar", small}, {"mask_camera", small}}, true);
  std::string message = error_of([&] { read_occ3d_labels(path, {200, 200, 16}, 18); });
  EXPECT_NE(message.find("'semantics' has shape (100, 200, 16)"), std::string::npos) << message;
  EXPECT_NE(message.find(path), std::string::npos) << message;

  const npy::Array floats = npy::make_float32({200, 200, 16}, std::vector<float>(200 * 200 * 16, 0.f));
  const npy::Array good = npy::make_uint8({200, 200, 16}, std::vector<uint8_t>(200 * 200 * 16, 17));
  npy::write_npz(path, {{"semantics", good}, {"mask_lidar", floats}, {"mask_camera", good}}, false);
  message = error_of([&] { read_occ3d_labels(path, {200, 200, 16}, 18); });
  EXPECT_NE(message.find("'mask_lidar' has dtype '<f4'"), std::string::npos) << message;

  npy::write_npz(path, {{"semantics", good}, {"mask_camera", good}}, true);
  message = error_of([&] { read_occ3d_labels(path, {200, 200, 16}, 18); });
  EXPECT_NE(message.find("no entry 'mask_lidar'"), std::string::npos) << message;

  std::ofstream(path, std::ios::binary | std::ios::trunc) << "PK\x03\x04 this is not a zip archive";
  message = error_of([&] { read_occ3d_labels(path, {200, 200, 16}, 18); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("not an .npz archive"), std::string::npos) << message;
}

TEST(NuScenesSplits, OfficialListsHaveTheirPublishedSizes) {
  EXPECT_EQ(nuscenes_split_scenes("train").size(), 700u);
  EXPECT_EQ(nuscenes_split_scenes("val").size(), 150u);
  EXPECT_EQ(nuscenes_split_scenes("test").size(), 150u);
  EXPECT_EQ(nuscenes_split_scenes("mini_train").size(), 8u);
  EXPECT_EQ(nuscenes_split_scenes("mini_val"), (std::vector<std::string>{"scene-0103", "scene-0916"}));
  EXPECT_EQ(nuscenes_split_scenes("val").front(), "scene-0003");
  EXPECT_THROW(nuscenes_split_scenes("trainval"), UsageError);
}

TEST(NuScenesClasses, CategoriesMapOntoOcc3dIds) {
  EXPECT_EQ(occ3d_class_of_category("vehicle.car"), 4);
  EXPECT_EQ(occ3d_class_of_category("human.pedestrian.police_officer"), 7);
  EXPECT_EQ(occ3d_class_of_category("vehicle.bus.bendy"), 3);
  EXPECT_EQ(occ3d_class_of_category("other_vehicle"), 0);  // Lyft
  EXPECT_EQ(occ3d_class_of_category("traffic_cone"), 8);   // occ export's own categories
  EXPECT_EQ(occ3d_class_of_category("free"), 0);           // never a box class
}

// The optical axis (camera z) of each channel in the ego frame: x forward,
// y left. Catches a swapped quaternion order or an inverted transform.
void expect_camera_faces_its_channel(const std::string& channel, const Matrix4& ego_from_camera) {
  const double ax = ego_from_camera[2], ay = ego_from_camera[6], az = ego_from_camera[10];
  EXPECT_LT(std::abs(az), 0.2) << channel;
  if (channel == "CAM_FRONT") {
    EXPECT_GT(ax, 0.9) << channel;
  }
  if (channel == "CAM_BACK") {
    EXPECT_LT(ax, -0.9) << channel;
  }
  if (channel == "CAM_FRONT_LEFT") {
    EXPECT_TRUE(ax > 0.2 && ay > 0.2) << channel;
  }
  if (channel == "CAM_FRONT_RIGHT") {
    EXPECT_TRUE(ax > 0.2 && ay < -0.2) << channel;
  }
  if (channel == "CAM_BACK_LEFT") {
    EXPECT_TRUE(ax < -0.2 && ay > 0.2) << channel;
  }
  if (channel == "CAM_BACK_RIGHT") {
    EXPECT_TRUE(ax < -0.2 && ay < -0.2) << channel;
  }
}

TEST(NuScenesTables, LyftFloatTimestampsAndCalibrationChain) {
  const NuScenesTables tables = read_nuscenes_tables(kFixtures + "/lyft_nuscenes_schema", "v1.01-train");
  ASSERT_EQ(tables.samples.size(), 1u);
  EXPECT_EQ(tables.samples[0].timestamp_us, 1556675185903083);  // 1556675185903083.2 in the table
  ASSERT_EQ(tables.sample_data.size(), 10u);
  Matrix4 world_from_lidar_ego{};
  for (const auto& data : tables.sample_data) {
    const auto& calibration = tables.calibrations.at(data.calibrated_sensor_token);
    if (tables.sensors.at(calibration.sensor_token).channel == "LIDAR_TOP")
      world_from_lidar_ego = tables.ego_poses.at(data.ego_pose_token).world_from_ego;
  }
  int cameras = 0;
  for (const auto& data : tables.sample_data) {
    const auto& calibration = tables.calibrations.at(data.calibrated_sensor_token);
    const auto& sensor = tables.sensors.at(calibration.sensor_token);
    if (sensor.modality != "camera") continue;
    ++cameras;
    if (sensor.channel == "CAM_FRONT") {
      EXPECT_EQ(data.timestamp_us, 1556675185850000);
    }
    ASSERT_EQ(calibration.intrinsic.size(), 9u);
    EXPECT_GT(calibration.intrinsic[0], 500);  // fx in pixels
    expect_camera_faces_its_channel(sensor.channel, calibration.ego_from_sensor);
    // Camera centre in the world, chained through its own ego pose, lies on
    // the vehicle: within 3 m of the LiDAR-time ego position.
    const Matrix4& world_from_ego = tables.ego_poses.at(data.ego_pose_token).world_from_ego;
    const auto& e = calibration.ego_from_sensor;
    double centre[3];
    for (int r = 0; r < 3; ++r) {
      centre[r] = world_from_ego[r * 4 + 0] * e[3] + world_from_ego[r * 4 + 1] * e[7] +
                  world_from_ego[r * 4 + 2] * e[11] + world_from_ego[r * 4 + 3];
    }
    const double dx = centre[0] - world_from_lidar_ego[3], dy = centre[1] - world_from_lidar_ego[7];
    EXPECT_LT(std::hypot(dx, dy), 3.0) << sensor.channel;
    EXPECT_GT(e[11], 1.0) << sensor.channel;  // mounted above the ego origin
  }
  EXPECT_EQ(cameras, 7);  // six nuScenes channels and CAM_FRONT_ZOOMED
  const std::string category = tables.instance_category.at(tables.annotations.at(0).instance_token);
  EXPECT_EQ(occ3d_class_of_category(category), 4) << category;  // Lyft "car"
}

// nuScenes v1.0 tables for the first sample of the mmdet3d info fixture
// (real calibration, ego pose and one real image): what the devkit would
// give for that sample, minus the annotations.
void write_info_sample_tables(const std::string& root) {
  std::ifstream in(kFixtures + "/nuscenes_mmdet3d/nus_info.converted.json");
  const json sample = json::parse(in)["data_list"][0];
  const std::string version = root + "/v1.0-mini";
  std::filesystem::create_directories(version);
  // The fixture's one real image (1600x900) is of another sample than the
  // info's img_path names; every camera links to it.
  const std::string real_image = kFixtures +
                                 "/nuscenes_mmdet3d/samples/CAM_BACK_LEFT/"
                                 "n015-2018-07-18-11-07-57+0800__CAM_BACK_LEFT__1531883530447423.jpg";
  auto matrix = [](const json& rows) {
    exporting::Matrix4d m{};
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) m[size_t(r * 4 + c)] = rows[size_t(r)][size_t(c)].get<double>();
    return m;
  };
  const std::string token = sample["token"];
  const auto timestamp = static_cast<int64_t>(std::llround(sample["timestamp"].get<double>() * 1e6));
  json ego_pose = exporting::pose_json(matrix(sample["ego2global"]));
  ego_pose["token"] = "pose";
  ego_pose["timestamp"] = timestamp;
  json tables = {{"scene", {{{"token", "scene"}, {"name", "scene-0001"}}}},
                 {"sample", {{{"token", token}, {"timestamp", timestamp}, {"scene_token", "scene"}}}},
                 {"ego_pose", {ego_pose}},
                 {"sensor", json::array()},
                 {"calibrated_sensor", json::array()},
                 {"sample_data", json::array()},
                 {"category", json::array()},
                 {"instance", json::array()},
                 {"sample_annotation", json::array()}};
  for (const auto& [channel, camera] : sample["images"].items()) {
    tables["sensor"].push_back({{"token", channel}, {"channel", channel}, {"modality", "camera"}});
    json calibration = exporting::pose_json(matrix(camera["cam2ego"]));
    calibration["token"] = "calibration/" + channel;
    calibration["sensor_token"] = channel;
    calibration["camera_intrinsic"] = camera["cam2img"];
    tables["calibrated_sensor"].push_back(calibration);
    const std::string filename = "samples/" + channel + "/" + camera["img_path"].get<std::string>();
    tables["sample_data"].push_back({{"token", "data/" + channel},
                                     {"sample_token", token},
                                     {"ego_pose_token", "pose"},
                                     {"calibrated_sensor_token", "calibration/" + channel},
                                     {"filename", filename},
                                     {"timestamp", timestamp},
                                     {"is_key_frame", true},
                                     {"prev", ""},
                                     {"next", ""}});
    std::filesystem::create_directories(root + "/samples/" + channel);
    std::filesystem::create_symlink(real_image, root + "/" + filename);
  }
  for (const auto& [name, records] : tables.items())
    std::ofstream(version + "/" + name + ".json") << records.dump();
}

TEST(NuScenesPrep, RealCalibrationCamerasSurroundTheEgoAndPointsProjectIntoTheirImage) {
  test::TempDir dir;
  write_info_sample_tables(dir.file("nuscenes"));
  for (const bool embed : {false, true}) {
    NuScenesPrepOptions options;
    options.dataroot = dir.file("nuscenes");
    options.version = "v1.0-mini";
    options.output = dir.file(embed ? "embedded.h5" : "paths.h5");
    options.embed_images = embed;
    options.image_size = "225x400";  // a quarter of 900x1600
    const NuScenesPrepReport report = prep_nuscenes(options);
    EXPECT_EQ(report.frames, 1);
    const FramesFile frames(options.output);
    const double width = embed ? 400 : 1600, height = embed ? 225 : 900;
    for (int64_t c = 0; c < frames.camera_count(); ++c) {
      const std::string& channel = frames.camera_names()[size_t(c)];
      const Matrix4 ego_from_camera = frames.ego_from_camera(0, c);
      expect_camera_faces_its_channel(channel, ego_from_camera);
      // Mounted around the ego origin (rear axle): front cameras 1.5-1.7 m
      // ahead of it, the back camera over it, left ones on +y, right ones on -y,
      // all 1.4-1.7 m up.
      const double x = ego_from_camera[3], y = ego_from_camera[7], z = ego_from_camera[11];
      EXPECT_TRUE(z > 1.4 && z < 1.7) << channel << " z " << z;
      if (channel.find("FRONT") != std::string::npos) {
        EXPECT_GT(x, 1.2) << channel;
      }
      if (channel == "CAM_BACK") {
        EXPECT_LT(std::abs(x), 0.3) << channel;
      }
      if (channel.find("LEFT") != std::string::npos) {
        EXPECT_GT(y, 0.4) << channel;
      }
      if (channel.find("RIGHT") != std::string::npos) {
        EXPECT_LT(y, -0.4) << channel;
      }
      // A point 10 m along the optical axis, 1 m right and 0.5 m down, taken
      // into the world through the stored matrices and back into pixels.
      const double in_camera[3] = {1.0, 0.5, 10.0};
      const Matrix4 world_from_ego = frames.world_from_ego(0, c);
      double in_ego[3], in_world[3];
      for (int r = 0; r < 3; ++r)
        in_ego[r] = ego_from_camera[r * 4] * in_camera[0] + ego_from_camera[r * 4 + 1] * in_camera[1] +
                    ego_from_camera[r * 4 + 2] * in_camera[2] + ego_from_camera[r * 4 + 3];
      for (int r = 0; r < 3; ++r)
        in_world[r] = world_from_ego[r * 4] * in_ego[0] + world_from_ego[r * 4 + 1] * in_ego[1] +
                      world_from_ego[r * 4 + 2] * in_ego[2] + world_from_ego[r * 4 + 3];
      double back_ego[3], back_camera[3];
      for (int r = 0; r < 3; ++r) {  // inverse of a rigid transform: R^T (p - t)
        back_ego[r] = 0;
        for (int k = 0; k < 3; ++k)
          back_ego[r] += world_from_ego[k * 4 + r] * (in_world[k] - world_from_ego[k * 4 + 3]);
      }
      for (int r = 0; r < 3; ++r) {
        back_camera[r] = 0;
        for (int k = 0; k < 3; ++k)
          back_camera[r] += ego_from_camera[k * 4 + r] * (back_ego[k] - ego_from_camera[k * 4 + 3]);
      }
      const Matrix3 k = frames.intrinsics(0, c);
      ASSERT_GT(back_camera[2], 0) << channel;
      const double u = (k[0] * back_camera[0] + k[1] * back_camera[1]) / back_camera[2] + k[2];
      const double v = (k[4] * back_camera[1]) / back_camera[2] + k[5];
      EXPECT_TRUE(u > 0 && u < width && v > 0 && v < height) << channel << " projects to " << u << ", " << v;
      EXPECT_NEAR(u, width / 2 + k[0] * 0.1, width * 0.05) << channel;  // principal point near the centre
    }
    if (embed) {
      EXPECT_EQ(frames.image(0, 4).cols, 400);
      EXPECT_EQ(frames.image(0, 4).rows, 225);
    } else {
      EXPECT_EQ(frames.image(0, 4).cols, 1600);  // by path: the real 1600x900 JPEG
      EXPECT_EQ(h5::read_strings(frames.file(), "/cameras/image_path").size(), 6u);
    }
  }
}

}  // namespace
}  // namespace occ::datasets
