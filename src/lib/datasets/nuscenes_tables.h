#pragma once
// The nuScenes v1.0 JSON tables occ needs (nuscenes-devkit
// docs/schema_nuscenes.md; formats.md), read into compact records with
// token indexes. Every reference a frame needs is checked on load, so a
// dangling token is one clear error naming the table, the record and the
// token, before any output is written. Lyft Level5 uses the same schema with
// float timestamps; they are rounded to whole microseconds.
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "geom/rigid.h"

namespace occ::datasets {

using geom::Matrix4;  // row-major 4x4, <target>_from_<source>

struct NuScenesScene {
  std::string token, name;
};
struct NuScenesSample {
  std::string token, scene_token;
  int64_t timestamp_us = 0;
};
struct NuScenesSampleData {
  std::string token, sample_token, ego_pose_token, calibrated_sensor_token, filename;
  std::string prev, next;
  int64_t timestamp_us = 0;
  bool is_key_frame = false;
};
struct NuScenesCalibration {
  std::string sensor_token;
  Matrix4 ego_from_sensor{};
  std::vector<double> intrinsic;  // 9 values row-major for cameras, empty otherwise
};
struct NuScenesEgoPose {
  Matrix4 world_from_ego{};
};
struct NuScenesSensor {
  std::string channel, modality;
};
struct NuScenesAnnotation {
  std::string token, sample_token, instance_token, prev, next;
  std::array<double, 3> translation{};  // world frame
  std::array<double, 4> rotation{};     // (w, x, y, z), box -> world
  std::array<double, 3> size_wlh{};
};

struct NuScenesTables {
  std::string folder;  // <dataroot>/<version>
  std::vector<NuScenesScene> scenes;
  std::vector<NuScenesSample> samples;
  std::vector<NuScenesSampleData> sample_data;
  std::unordered_map<std::string, NuScenesCalibration> calibrations;
  std::unordered_map<std::string, NuScenesEgoPose> ego_poses;
  std::unordered_map<std::string, NuScenesSensor> sensors;
  std::unordered_map<std::string, std::string> instance_category;  // instance -> category name
  std::vector<NuScenesAnnotation> annotations;
};

// Reads the tables of <dataroot>/<version>/. Throws IoError for a missing
// folder or table, FormatError for bad JSON, a missing field or a token that
// names no record.
NuScenesTables read_nuscenes_tables(const std::string& dataroot, const std::string& version);

// The rigid transform of a nuScenes pose: translation and (w, x, y, z) unit
// quaternion (normalised here: JSON round trips shorten the digits).
Matrix4 pose_matrix(const std::array<double, 3>& translation, const std::array<double, 4>& rotation_wxyz);

}  // namespace occ::datasets
