#pragma once
// Tiny frames files for the loader tests, written with FramesWriter so every
// layout the loader meets can be made: images embedded, by path (PNG files
// beside the frames file) or absent, with or without occupancy and masks.
//
// Pixel values encode where they come from, so a test can tell which frame,
// camera and pixel ended up where: R = 10 * frame + camera, G = 4 * x,
// B = 5 * y (x < 32, y < 24 keeps every value below 256). Superpixel ids do
// the same (test_segment), and every frame has its own ego pose.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "datasets/frames_writer.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "support/frames_builder.h"

namespace occ::train::test {

enum class Images { embedded, by_path, none };

struct LoaderFrames {
  int frames = 7;
  int cameras = 2;
  int height = 24, width = 32;
  Images images = Images::embedded;
  bool occupancy = true;
  bool camera_mask = true;
  std::vector<bool> keyframes;   // empty: all keyframes
  std::vector<int> scenes;       // scene index of each frame; empty: all in scene 0
  int missing_image_frame = -1;  // by_path: this frame's PNG files are not written
};

constexpr std::array<int64_t, 3> kGrid{4, 3, 2};

inline cv::Mat test_image(const LoaderFrames& spec, int frame, int camera) {
  cv::Mat rgb(spec.height, spec.width, CV_8UC3);
  for (int y = 0; y < spec.height; ++y) {
    for (int x = 0; x < spec.width; ++x) {
      rgb.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(10 * frame + camera),
                                          static_cast<uint8_t>(4 * x), static_cast<uint8_t>(5 * y));
    }
  }
  return rgb;
}

// Pixel-from-camera matrices differ per camera so a mix-up shows.
inline std::array<double, 9> test_intrinsics(int camera) {
  const double fx = 20.0 + 5 * camera, fy = 22.0 + 3 * camera, cx = 16.0 - camera, cy = 12.5 + camera;
  return {fx, 0, cx, 0, fy, cy, 0, 0, 1};
}

inline std::array<double, 16> test_ego_from_camera(int frame, int camera) {
  auto matrix = occ::test::identity4();
  matrix[3] = 1.5 * camera;  // x translation
  matrix[7] = 0.25 * frame;  // y translation
  return matrix;
}

// Yaw and position change from frame to frame, so relative poses are not
// trivial: yaw 0.1 * frame, position (2 * frame, -frame, 0.1 * frame).
inline std::array<double, 16> test_world_from_ego(int frame) {
  const double yaw = 0.1 * frame, c = std::cos(yaw), s = std::sin(yaw);
  return {c, -s, 0, 2.0 * frame, s, c, 0, -1.0 * frame, 0, 0, 1, 0.1 * frame, 0, 0, 0, 1};
}

// Superpixel id of stored mask pixel (y, x): bits hold x (5), y (5), camera
// (1) and frame, so id % 32 is the column (y < 24, x < 32, camera < 2,
// frame < 31).
inline uint16_t test_segment(int frame, int camera, int y, int x) {
  return static_cast<uint16_t>(x + 32 * y + 1024 * camera + 2048 * frame);
}

inline uint8_t test_class(int frame, int64_t voxel) {
  return static_cast<uint8_t>((frame * 3 + voxel) % 18);
}
inline uint8_t test_mask(int frame, int64_t voxel) {
  return static_cast<uint8_t>((frame + voxel) % 2);
}

inline void write_loader_frames(const std::string& path, const LoaderFrames& spec) {
  datasets::FramesLayout layout;
  layout.dataset = "synth";
  layout.class_names = occ::test::occ3d_class_names();
  layout.free_class = 17;
  layout.grid_shape = kGrid;
  layout.grid_origin_m = {-0.8, -0.6, -1.0};
  layout.voxel_size_m = {0.4, 0.4, 0.5};
  for (int camera = 0; camera < spec.cameras; ++camera)
    layout.camera_names.push_back("CAM_" + std::to_string(camera));
  const auto scene_of = [&spec](int frame) {
    return spec.scenes.empty() ? 0 : spec.scenes[static_cast<size_t>(frame)];
  };
  int scene_count = 1;
  for (const int scene : spec.scenes) scene_count = std::max(scene_count, scene + 1);
  for (int scene = 0; scene < scene_count; ++scene)
    layout.scene_names.push_back("scene-" + std::to_string(scene));
  layout.frames = spec.frames;
  if (spec.images == Images::embedded) {
    layout.image_height = spec.height;
    layout.image_width = spec.width;
  }
  layout.image_paths = spec.images == Images::by_path;
  layout.occupancy = spec.occupancy;
  layout.camera_mask = spec.camera_mask;
  const std::string folder = path.substr(0, path.find_last_of('/'));
  datasets::FramesWriter writer(path, layout, {{"test", true}});
  const int64_t voxels = kGrid[0] * kGrid[1] * kGrid[2];
  for (int frame = 0; frame < spec.frames; ++frame) {
    datasets::FrameRecord record;
    record.token = "token-" + std::to_string(frame);
    record.keyframe = spec.keyframes.empty() || spec.keyframes[static_cast<size_t>(frame)];
    // 2 Hz: the frames schema wants time increasing within each scene.
    record.timestamp_us = int64_t{500000} * frame;
    // Each scene's frames are consecutive rows.
    record.scene = scene_of(frame);
    record.prev = frame > 0 && scene_of(frame - 1) == record.scene ? frame - 1 : -1;
    record.next = frame + 1 < spec.frames && scene_of(frame + 1) == record.scene ? frame + 1 : -1;
    record.world_from_ego = test_world_from_ego(frame);
    for (int camera = 0; camera < spec.cameras; ++camera) {
      record.intrinsics.push_back(test_intrinsics(camera));
      record.ego_from_camera.push_back(test_ego_from_camera(frame, camera));
      const cv::Mat rgb = test_image(spec, frame, camera);
      if (spec.images == Images::embedded) {
        record.images.insert(record.images.end(), rgb.data, rgb.data + rgb.total() * 3);
      } else if (spec.images == Images::by_path) {
        const std::string name = "image_" + std::to_string(frame) + "_" + std::to_string(camera) + ".png";
        record.image_paths.push_back(name);
        if (frame != spec.missing_image_frame) {
          cv::Mat bgr;
          cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
          cv::imwrite(folder + "/" + name, bgr);
        }
      }
    }
    if (spec.occupancy) {
      for (int64_t voxel = 0; voxel < voxels; ++voxel) {
        record.semantics.push_back(test_class(frame, voxel));
        record.mask_lidar.push_back(1);
        if (spec.camera_mask) record.mask_camera.push_back(test_mask(frame, voxel));
      }
    }
    writer.write(record);
  }
  writer.commit();
}

// A masks file (schema occ.masks) as occ cluster-masks writes it, recording
// `made_from`'s uuid, with test_segment ids at height x width for `frames`
// frames of `cameras` cameras.
inline void write_test_masks(const std::string& path, const std::string& made_from, int frames, int cameras,
                             int height, int width) {
  h5::OutputArtifact out(path, "masks", {{"test", true}});
  out.set_frames_uuid(h5::read_string_attribute(h5::File::open(made_from), "/", "uuid"));
  h5::write_attribute(out.file(), "/", "method", std::string("test"));
  h5::write_attribute(out.file(), "/", "parameters", std::string("{}"));
  h5::write_attribute(out.file(), "/", "image_size", std::vector<int64_t>{height, width});
  std::vector<uint16_t> labels;
  for (int frame = 0; frame < frames; ++frame) {
    for (int camera = 0; camera < cameras; ++camera) {
      for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) labels.push_back(test_segment(frame, camera, y, x));
      }
    }
  }
  h5::write(out.file(), "/masks/labels", labels, {frames, cameras, height, width});
  const std::vector<int32_t> counts(static_cast<size_t>(frames * cameras), height * width);
  h5::write(out.file(), "/masks/count", counts, {frames, cameras});
  out.commit();
}

}  // namespace occ::train::test
