#pragma once
// Writes small frames files (schema occ.frames) from images and maps made in
// a test, so stages after prep can be tested on scenes with known answers.
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <array>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"

namespace occ::test {

using Mat3 = std::array<double, 9>;
using Mat4 = std::array<double, 16>;

inline Mat4 identity4() {
  return {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
}

// Occ3D class names (protoocc.md); free = 17.
inline std::vector<std::string> occ3d_class_names() {
  return {"others",     "barrier",    "bicycle",      "bus",     "car",        "construction_vehicle",
          "motorcycle", "pedestrian", "traffic_cone", "trailer", "truck",      "driveable_surface",
          "other_flat", "sidewalk",   "terrain",      "manmade", "vegetation", "free"};
}

struct TestBox {
  int frame = 0;
  std::array<double, 3> center{};
  std::array<float, 3> size_wlh{};
  double yaw = 0;
  int class_id = 4;
  int instance = 0;
};

struct TestFrames {
  int frames = 0, cameras = 1;
  std::vector<cv::Mat> images;        // frames * cameras, CV_8UC3 RGB, frame-major
  std::vector<cv::Mat> depth;         // optional, CV_32F
  std::vector<cv::Mat> semantics;     // optional, CV_8U
  std::vector<cv::Mat> instance;      // optional, CV_32S
  std::vector<Mat3> intrinsics;       // per camera
  std::vector<Mat4> ego_from_camera;  // per camera; identity when empty
  std::vector<Mat4> world_from_ego;   // per frame; identity when empty
  std::vector<int32_t> prev, next;    // default: one scene, a chain
  std::vector<uint8_t> keyframe;      // per frame, 0 for sweeps; default: every frame a keyframe
  std::vector<TestBox> boxes;
  std::array<int64_t, 3> grid_shape{200, 200, 16};  // Occ3D grid: origin (-40, -40, -1), 0.4 m
  std::vector<std::vector<uint8_t>> occupancy;      // optional, per frame [x][y][z]
  std::vector<std::vector<uint8_t>> mask_camera;    // optional, per frame
  std::vector<std::vector<float>> occupancy_flow;   // optional, per frame [x][y][z][2]
};

inline void write_test_frames(const std::string& path, const TestFrames& data) {
  const int64_t n = data.frames, c = data.cameras;
  const int height = data.images.at(0).rows, width = data.images.at(0).cols;
  h5::OutputArtifact out(path, "frames", {{"test", true}});
  h5::File& file = out.file();
  h5::write_attribute(file, "/", "dataset", std::string("synth"));
  h5::write_attribute(file, "/", "class_names", occ3d_class_names());
  h5::write_attribute(file, "/", "free_class", int64_t{17});
  h5::write_attribute(file, "/", "grid_shape",
                      std::vector<int64_t>{data.grid_shape[0], data.grid_shape[1], data.grid_shape[2]});
  h5::write_attribute(file, "/", "grid_origin_m", std::vector<double>{-40, -40, -1});
  h5::write_attribute(file, "/", "voxel_size_m", std::vector<double>{0.4, 0.4, 0.4});
  std::vector<std::string> names;
  for (int64_t k = 0; k < c; ++k) names.push_back("CAM_" + std::to_string(k));
  h5::write_attribute(file, "/", "camera_names", names);
  h5::write_attribute(file, "/", "image_size", std::vector<int64_t>{height, width});
  h5::write_strings(file, "/scenes/name", {"scene-test"});
  std::vector<std::string> tokens;
  std::vector<int32_t> scene(n, 0), prev(n), next(n);
  std::vector<int64_t> timestamps;
  std::vector<uint8_t> keyframe = data.keyframe.empty() ? std::vector<uint8_t>(n, 1) : data.keyframe;
  std::vector<double> poses, intrinsics, extrinsics;
  for (int64_t i = 0; i < n; ++i) {
    tokens.push_back("token-" + std::to_string(i));
    prev[i] = data.prev.empty() ? static_cast<int32_t>(i - 1) : data.prev[i];
    next[i] = data.next.empty() ? static_cast<int32_t>(i + 1 < n ? i + 1 : -1) : data.next[i];
    timestamps.push_back(i * 500000);
    const Mat4 pose = data.world_from_ego.empty() ? identity4() : data.world_from_ego[i];
    poses.insert(poses.end(), pose.begin(), pose.end());
    for (int64_t k = 0; k < c; ++k) {
      intrinsics.insert(intrinsics.end(), data.intrinsics[k].begin(), data.intrinsics[k].end());
      const Mat4 extrinsic = data.ego_from_camera.empty() ? identity4() : data.ego_from_camera[k];
      extrinsics.insert(extrinsics.end(), extrinsic.begin(), extrinsic.end());
    }
  }
  h5::write_strings(file, "/frames/token", tokens);
  h5::write(file, "/frames/scene", scene, {n});
  h5::write(file, "/frames/timestamp_us", timestamps, {n});
  h5::write(file, "/frames/is_keyframe", keyframe, {n});
  h5::write(file, "/frames/prev", prev, {n});
  h5::write(file, "/frames/next", next, {n});
  h5::write(file, "/frames/world_from_ego", poses, {n, 4, 4});
  h5::write(file, "/cameras/intrinsics", intrinsics, {n, c, 3, 3});
  h5::write(file, "/cameras/ego_from_camera", extrinsics, {n, c, 4, 4});
  auto write_maps = [&](const std::string& dataset, const std::vector<cv::Mat>& maps, auto element,
                        int channels) {
    using T = decltype(element);
    if (maps.empty()) return;
    std::vector<T> values;
    for (const auto& map : maps)
      values.insert(values.end(), map.ptr<T>(), map.ptr<T>() + map.total() * channels);
    h5::Shape shape{n, c, height, width};
    if (channels > 1) shape.push_back(channels);
    h5::write(file, dataset, values, shape);
  };
  write_maps("/cameras/image", data.images, uint8_t{}, 3);
  write_maps("/cameras/depth", data.depth, float{}, 1);
  write_maps("/cameras/semantics", data.semantics, uint8_t{}, 1);
  write_maps("/cameras/instance", data.instance, int32_t{}, 1);
  const h5::Shape grid{n, data.grid_shape[0], data.grid_shape[1], data.grid_shape[2]};
  auto write_grids = [&](const std::string& dataset, const auto& grids, h5::Shape shape) {
    if (grids.empty()) return;
    std::vector<typename std::decay_t<decltype(grids)>::value_type::value_type> values;
    for (const auto& one : grids) values.insert(values.end(), one.begin(), one.end());
    h5::write(file, dataset, values, shape);
  };
  write_grids("/occupancy/semantics", data.occupancy, grid);
  write_grids("/occupancy/mask_camera", data.mask_camera, grid);
  h5::Shape flow_shape = grid;
  flow_shape.push_back(2);
  write_grids("/occupancy/flow", data.occupancy_flow, flow_shape);
  if (!data.boxes.empty()) {
    std::vector<int64_t> offsets{0};
    std::vector<double> centers, yaws;
    std::vector<float> sizes;
    std::vector<uint8_t> classes;
    std::vector<int32_t> instances;
    for (int64_t i = 0; i < n; ++i) {
      for (const auto& box : data.boxes) {
        if (box.frame != i) continue;
        centers.insert(centers.end(), box.center.begin(), box.center.end());
        sizes.insert(sizes.end(), box.size_wlh.begin(), box.size_wlh.end());
        yaws.push_back(box.yaw);
        classes.push_back(static_cast<uint8_t>(box.class_id));
        instances.push_back(box.instance);
      }
      offsets.push_back(static_cast<int64_t>(yaws.size()));
    }
    const int64_t b = static_cast<int64_t>(yaws.size());
    h5::write(file, "/boxes/offsets", offsets, {n + 1});
    h5::write(file, "/boxes/center", centers, {b, 3});
    h5::write(file, "/boxes/size_wlh", sizes, {b, 3});
    h5::write(file, "/boxes/yaw", yaws, {b});
    h5::write(file, "/boxes/class", classes, {b});
    h5::write(file, "/boxes/instance", instances, {b});
    h5::write(file, "/boxes/velocity", std::vector<float>(b * 2), {b, 2});
  }
  out.commit();
}

// A pred file for `frames_path` with one grid per prediction; `extra` may
// write more datasets before the file is committed.
inline void write_test_pred(const std::string& path, const std::string& frames_path,
                            const std::vector<std::vector<uint8_t>>& semantics,
                            const std::vector<int32_t>& rows,
                            std::array<int64_t, 3> grid_shape = {200, 200, 16},
                            const std::function<void(h5::File&)>& extra = nullptr) {
  const h5::File frames = h5::File::open(frames_path);
  h5::OutputArtifact out(path, "pred", {{"test", true}});
  out.set_frames_uuid(h5::read_string_attribute(frames, "/", "uuid"));
  h5::write_attribute(out.file(), "/", "class_names", occ3d_class_names());
  h5::write_attribute(out.file(), "/", "free_class", int64_t{17});
  h5::write_attribute(out.file(), "/", "grid_shape",
                      std::vector<int64_t>{grid_shape[0], grid_shape[1], grid_shape[2]});
  const int64_t n = static_cast<int64_t>(semantics.size());
  std::vector<uint8_t> values;
  for (const auto& grid : semantics) values.insert(values.end(), grid.begin(), grid.end());
  h5::write(out.file(), "/pred/frame", rows, {n});
  h5::write(out.file(), "/pred/semantics", values, {n, grid_shape[0], grid_shape[1], grid_shape[2]});
  if (extra) extra(out.file());
  out.commit();
}

// Smooth random texture (value noise): structure for flow and superpixels.
inline cv::Mat texture(cv::Size size, uint64_t seed, double blur = 2.0) {
  cv::Mat noise(size, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
  cv::Mat out;
  cv::GaussianBlur(noise, out, cv::Size(0, 0), blur);
  cv::normalize(out, out, 0, 255, cv::NORM_MINMAX);
  return out;
}

}  // namespace occ::test
