#pragma once
// Streams a frames file (data/schemas/frames.json) row by row for the
// readers of real datasets (occ prep nuscenes, kitti-mot): the layout says
// which optional datasets exist, each FrameRecord fills one row, and
// commit() adds the string and offset datasets and renames the file into
// place. Destroyed without commit(), nothing is left at the output path.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "geom/rigid.h"

namespace occ::datasets {

using geom::Matrix4;  // row-major 4x4, <target>_from_<source>

struct FramesLayout {
  std::string dataset;  // root attribute `dataset`: nuscenes, lyft, kitti-mot, ...
  std::vector<std::string> class_names;
  int free_class = 0;
  std::array<int64_t, 3> grid_shape{};
  std::array<double, 3> grid_origin_m{};
  std::array<double, 3> voxel_size_m{};
  std::vector<std::string> camera_names;
  std::vector<std::string> scene_names;
  int64_t frames = 0;
  std::string dataroot;          // root attribute; images are referenced relative to it
  int image_height = 0;          // > 0: /cameras/image embedded at this size
  int image_width = 0;           //
  bool image_paths = false;      // /cameras/image_path
  bool camera_poses = false;     // /cameras/world_from_ego and /cameras/timestamp_us
  bool lidar_origin = false;     // /lidar/origin
  bool lidar_points = false;     // /lidar/points and /lidar/offsets
  bool occupancy = false;        // /occupancy/semantics
  bool lidar_mask = true;        // with occupancy: /occupancy/mask_lidar
  bool camera_mask = true;       // with occupancy: /occupancy/mask_camera
  bool flow = false;             // with occupancy: /occupancy/flow
  bool boxes = false;            // /boxes/*
  bool stereo_baseline = false;  // /cameras/stereo_baseline_m (KITTI: camera 2 to camera 3)
  std::string compression = "deflate";
};

struct FrameBox {
  std::array<double, 3> center{};  // ego frame
  std::array<float, 3> size_wlh{};
  double yaw = 0;  // about ego z
  uint8_t class_id = 0;
  int32_t instance = -1;
  std::array<float, 2> velocity{};  // ego frame, m/s
};

// One row; per-camera vectors are in layout.camera_names order.
struct FrameRecord {
  std::string token;
  int32_t scene = 0;
  int64_t timestamp_us = 0;
  bool keyframe = true;
  int32_t prev = -1, next = -1;
  Matrix4 world_from_ego{};
  std::vector<std::array<double, 9>> intrinsics;
  std::vector<Matrix4> ego_from_camera;
  std::vector<Matrix4> camera_world_from_ego;  // layout.camera_poses
  std::vector<int64_t> camera_timestamp_us;    // layout.camera_poses
  std::vector<std::string> image_paths;        // layout.image_paths
  std::vector<uint8_t> images;                 // C*H*W*3 RGB when embedded
  std::array<double, 3> lidar_origin{};
  std::vector<float> lidar_points;                          // x, y, z (ego), intensity per point
  std::vector<uint8_t> semantics, mask_lidar, mask_camera;  // X*Y*Z each
  std::vector<float> flow;                                  // X*Y*Z*2 (m/s along x, y) when layout.flow
  std::vector<FrameBox> boxes;
  std::vector<double> stereo_baseline_m;  // per camera, layout.stereo_baseline
};

class FramesWriter {
 public:
  // `options` become the file's recorded options (provenance).
  FramesWriter(const std::string& path, const FramesLayout& layout, const nlohmann::json& options);
  ~FramesWriter();
  FramesWriter(const FramesWriter&) = delete;
  FramesWriter& operator=(const FramesWriter&) = delete;

  // Rows are written in order 0, 1, ...; throws FormatError when a record
  // does not fit the layout (a wrong camera count, a grid of another size).
  void write(const FrameRecord& frame);
  void commit();

  int64_t lidar_points() const;
  int64_t boxes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace occ::datasets
