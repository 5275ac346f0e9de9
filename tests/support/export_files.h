#pragma once
// Small frames, pred and model files with known content for the export
// tests: any grid, tokens, poses and LiDAR origins the test chooses.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/half.h"

namespace occ::test {

inline std::vector<std::string> occ3d_names() {
  return {"others",     "barrier",    "bicycle",      "bus",     "car",        "construction_vehicle",
          "motorcycle", "pedestrian", "traffic_cone", "trailer", "truck",      "driveable_surface",
          "other_flat", "sidewalk",   "terrain",      "manmade", "vegetation", "free"};
}

inline std::vector<std::string> semantickitti_names() {
  return {"empty",     "car",          "bicycle", "motorcycle", "truck",    "other-vehicle", "person",
          "bicyclist", "motorcyclist", "road",    "parking",    "sidewalk", "other-ground",  "building",
          "fence",     "vegetation",   "trunk",   "terrain",    "pole",     "traffic-sign"};
}

struct ExportFrames {
  std::vector<std::string> tokens{"token-a", "token-b"};
  std::vector<int32_t> scene;                          // default: all in scene 0
  std::vector<uint8_t> keyframe;                       // default: all keyframes
  std::vector<std::array<double, 16>> world_from_ego;  // default: identity
  std::vector<std::array<double, 3>> lidar_origin;     // empty: no /lidar/origin
  std::array<double, 16> ego_from_camera{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  std::vector<int64_t> grid_shape{200, 200, 16};
  std::vector<double> grid_origin_m{-40, -40, -1};
  std::vector<double> voxel_size_m{0.4, 0.4, 0.4};
  std::vector<std::string> class_names = occ3d_names();
  int64_t free_class = 17;
  std::vector<uint8_t> mask_lidar;        // N*X*Y*Z, optional
  std::vector<int32_t> next;              // /frames/next; default: all -1
  std::vector<double> stereo_baseline_m;  // per frame (one camera); empty: none
  // Optional content for the nuscenes export:
  int image_height = 0, image_width = 0;  // > 0: embedded images, value (frame * 40 + x) % 256 in red
  std::vector<uint8_t> semantics;         // N*X*Y*Z occupancy
  std::vector<uint8_t> mask_camera;       // N*X*Y*Z
  std::vector<std::vector<std::array<float, 4>>> lidar_points;  // per frame, ego frame
  struct Box {
    int frame = 0;
    std::array<double, 3> center{};
    std::array<float, 3> size_wlh{};
    double yaw = 0;
    int class_id = 4;
    int instance = 0;
  };
  std::vector<Box> boxes;
};

// Returns the frames file's uuid.
inline std::string write_export_frames(const std::string& path, const ExportFrames& spec) {
  const int64_t n = static_cast<int64_t>(spec.tokens.size());
  h5::OutputArtifact out(path, "frames", {{"test", true}});
  h5::File& file = out.file();
  h5::write_attribute(file, "/", "dataset", std::string("synth"));
  h5::write_attribute(file, "/", "class_names", spec.class_names);
  h5::write_attribute(file, "/", "free_class", spec.free_class);
  h5::write_attribute(file, "/", "grid_shape", spec.grid_shape);
  h5::write_attribute(file, "/", "grid_origin_m", spec.grid_origin_m);
  h5::write_attribute(file, "/", "voxel_size_m", spec.voxel_size_m);
  h5::write_attribute(file, "/", "camera_names", std::vector<std::string>{"CAM_FRONT"});
  h5::write_strings(file, "/scenes/name", {"scene-0", "scene-1"});
  std::vector<int32_t> scene = spec.scene.empty() ? std::vector<int32_t>(n, 0) : spec.scene;
  std::vector<uint8_t> keyframe = spec.keyframe.empty() ? std::vector<uint8_t>(n, 1) : spec.keyframe;
  std::vector<int32_t> prev(n, -1), next = spec.next.empty() ? std::vector<int32_t>(n, -1) : spec.next;
  std::vector<int64_t> time;
  std::vector<double> poses, intrinsics, extrinsics, origins;
  for (int64_t i = 0; i < n; ++i) {
    time.push_back(i * 500000);
    const std::array<double, 16> identity{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    const auto& pose = spec.world_from_ego.empty() ? identity : spec.world_from_ego[i];
    poses.insert(poses.end(), pose.begin(), pose.end());
    intrinsics.insert(intrinsics.end(), {100, 0, 50, 0, 100, 50, 0, 0, 1});
    extrinsics.insert(extrinsics.end(), spec.ego_from_camera.begin(), spec.ego_from_camera.end());
    if (!spec.lidar_origin.empty())
      origins.insert(origins.end(), spec.lidar_origin[i].begin(), spec.lidar_origin[i].end());
  }
  h5::write_strings(file, "/frames/token", spec.tokens);
  h5::write(file, "/frames/scene", scene, {n});
  h5::write(file, "/frames/timestamp_us", time, {n});
  h5::write(file, "/frames/is_keyframe", keyframe, {n});
  h5::write(file, "/frames/prev", prev, {n});
  h5::write(file, "/frames/next", next, {n});
  h5::write(file, "/frames/world_from_ego", poses, {n, 4, 4});
  h5::write(file, "/cameras/intrinsics", intrinsics, {n, 1, 3, 3});
  h5::write(file, "/cameras/ego_from_camera", extrinsics, {n, 1, 4, 4});
  if (!origins.empty()) h5::write(file, "/lidar/origin", origins, {n, 3});
  if (!spec.stereo_baseline_m.empty())
    h5::write(file, "/cameras/stereo_baseline_m", spec.stereo_baseline_m, {n, 1});
  const auto& g = spec.grid_shape;
  if (!spec.mask_lidar.empty())
    h5::write(file, "/occupancy/mask_lidar", spec.mask_lidar, {n, g[0], g[1], g[2]});
  if (!spec.semantics.empty()) h5::write(file, "/occupancy/semantics", spec.semantics, {n, g[0], g[1], g[2]});
  if (!spec.mask_camera.empty())
    h5::write(file, "/occupancy/mask_camera", spec.mask_camera, {n, g[0], g[1], g[2]});
  if (spec.image_height > 0) {
    const int64_t h = spec.image_height, w = spec.image_width;
    h5::write_attribute(file, "/", "image_size", std::vector<int64_t>{h, w});
    std::vector<uint8_t> images(static_cast<size_t>(n * h * w * 3), 0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          images[static_cast<size_t>(((i * h + y) * w + x) * 3)] = static_cast<uint8_t>((i * 40 + x) % 256);
    h5::write(file, "/cameras/image", images, {n, 1, h, w, 3});
  }
  if (!spec.lidar_points.empty()) {
    std::vector<int64_t> offsets{0};
    std::vector<float> points;
    for (const auto& frame : spec.lidar_points) {
      for (const auto& point : frame) points.insert(points.end(), point.begin(), point.end());
      offsets.push_back(static_cast<int64_t>(points.size() / 4));
    }
    h5::write(file, "/lidar/offsets", offsets, {n + 1});
    h5::write(file, "/lidar/points", points, {offsets.back(), 4});
  }
  if (!spec.boxes.empty()) {
    std::vector<int64_t> offsets{0};
    std::vector<double> centers, yaws;
    std::vector<float> sizes, velocities;
    std::vector<uint8_t> classes;
    std::vector<int32_t> instances;
    for (int64_t i = 0; i < n; ++i) {
      for (const auto& box : spec.boxes) {
        if (box.frame != i) continue;
        centers.insert(centers.end(), box.center.begin(), box.center.end());
        sizes.insert(sizes.end(), box.size_wlh.begin(), box.size_wlh.end());
        yaws.push_back(box.yaw);
        classes.push_back(static_cast<uint8_t>(box.class_id));
        instances.push_back(box.instance);
        velocities.insert(velocities.end(), {0, 0});
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
    h5::write(file, "/boxes/velocity", velocities, {b, 2});
  }
  const std::string uuid = out.uuid();
  out.commit();
  return uuid;
}

struct ExportPred {
  std::vector<int32_t> frames{0, 1};  // rows in the frames file
  std::vector<int64_t> grid_shape{200, 200, 16};
  std::vector<std::string> class_names = occ3d_names();
  int64_t free_class = 17;
  std::vector<uint8_t> semantics;  // N*X*Y*Z
  std::vector<Half> flow;          // N*X*Y*Z*2, optional
  // Let Occ Flow's rendered maps of one camera, optional: N*H*W depth and
  // N*H*W*2 rendered flow at map_height x map_width.
  int64_t map_height = 0, map_width = 0;
  std::vector<float> depth, rendered_flow;
};

inline void write_export_pred(const std::string& path, const std::string& frames_uuid,
                              const ExportPred& spec) {
  const int64_t n = static_cast<int64_t>(spec.frames.size());
  const auto& g = spec.grid_shape;
  h5::OutputArtifact out(path, "pred", {{"test", true}});
  out.set_frames_uuid(frames_uuid);
  h5::File& file = out.file();
  h5::write_attribute(file, "/", "class_names", spec.class_names);
  h5::write_attribute(file, "/", "free_class", spec.free_class);
  h5::write_attribute(file, "/", "grid_shape", spec.grid_shape);
  h5::write(file, "/pred/frame", spec.frames, {n});
  h5::write(file, "/pred/semantics", spec.semantics, {n, g[0], g[1], g[2]});
  if (!spec.flow.empty()) h5::write(file, "/pred/flow", spec.flow, {n, g[0], g[1], g[2], 2});
  if (!spec.depth.empty())
    h5::write(file, "/pred/depth", spec.depth, {n, 1, spec.map_height, spec.map_width});
  if (!spec.rendered_flow.empty())
    h5::write(file, "/pred/rendered_flow", spec.rendered_flow, {n, 1, spec.map_height, spec.map_width, 2});
  out.commit();
}

// A model file with a float32 [2, 3] "encoder.weight" (0..5), a float16 [3]
// "encoder.bias" (0.5, -1, 2), an int64 scalar-like [1] "head.steps" (7)
// and a float64 [2, 2] "head.scale" (identity).
inline void write_export_model(const std::string& path) {
  h5::OutputArtifact out(path, "model", {{"test", true}});
  h5::File& file = out.file();
  h5::write_attribute(file, "/", "model", std::string("baseline"));
  h5::write_attribute(file, "/", "config", std::string("{\"size\": \"tiny\"}"));
  h5::write_attribute(file, "/", "step", int64_t{42});
  h5::write(file, "/weights/encoder/weight", std::vector<float>{0, 1, 2, 3, 4, 5}, {2, 3});
  h5::write(file, "/weights/encoder/bias",
            std::vector<Half>{float_to_half(0.5f), float_to_half(-1.0f), float_to_half(2.0f)}, {3});
  h5::write(file, "/weights/head/steps", std::vector<int64_t>{7}, {1});
  h5::write(file, "/weights/head/scale", std::vector<double>{1, 0, 0, 1}, {2, 2});
  out.commit();
}

}  // namespace occ::test
