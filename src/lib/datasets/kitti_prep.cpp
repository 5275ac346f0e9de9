#include "datasets/kitti_prep.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "datasets/camera_images.h"
#include "datasets/frames_writer.h"
#include "datasets/kitti_tracking.h"
#include "datasets/sensor_files.h"
#include "h5/dataset.h"

namespace occ::datasets {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kFramePeriodUs = 100000;  // KITTI records at 10 Hz
// nuscenes-devkit box_velocity's limit, kept for the same reason: no
// velocity from neighbours seen too far apart.
constexpr double kMaxVelocityGapSeconds = 1.5;

struct Sequence {
  std::string name;
  std::vector<int64_t> frames;  // image numbers, ascending
  KittiCalibration calibration;
  std::vector<Matrix4> imu_poses;  // per oxts line
  std::map<int64_t, std::vector<KittiLabel>> labels;
};

// KITTI names frames by six-digit numbers: 000010.
std::string frame_name(int64_t frame) {
  char name[24];
  std::snprintf(name, sizeof name, "%06lld", static_cast<long long>(frame));
  return name;
}

std::vector<std::string> sequence_names(const KittiPrepOptions& options) {
  if (!options.sequences.empty()) return options.sequences;
  const std::string images = options.dataroot + "/image_02";
  if (!fs::is_directory(images)) throw IoError(str("cannot open ", occ::quoted(images), ": no such folder"));
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(images)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) throw FormatError(str(occ::quoted(images), " holds no sequence folders"));
  return names;
}

Sequence read_sequence(const std::string& root, const std::string& name) {
  Sequence sequence;
  sequence.name = name;
  const std::string images = root + "/image_02/" + name;
  sequence.frames = numbered_files(images, ".png", "image");
  sequence.calibration = read_kitti_calibration(root + "/calib/" + name + ".txt");
  const std::string oxts = root + "/oxts/" + name + ".txt";
  sequence.imu_poses = read_kitti_oxts_poses(oxts);
  if (int64_t(sequence.imu_poses.size()) <= sequence.frames.back()) {
    throw FormatError(str(occ::quoted(oxts), " has ", sequence.imu_poses.size(), " poses but image ",
                          sequence.frames.back(), " exists"));
  }
  const std::string labels = root + "/label_02/" + name + ".txt";
  if (fs::exists(labels)) {
    for (auto& label : read_kitti_labels(labels)) sequence.labels[label.frame].push_back(label);
  }
  return sequence;
}

std::array<double, 3> transform_point(const Matrix4& m, const std::array<double, 3>& p) {
  std::array<double, 3> out{};
  for (int r = 0; r < 3; ++r)
    out[size_t(r)] = m[size_t(r * 4)] * p[0] + m[size_t(r * 4 + 1)] * p[1] + m[size_t(r * 4 + 2)] * p[2] +
                     m[size_t(r * 4 + 3)];
  return out;
}

// Boxes of one frame in the Velodyne (ego) frame, velocities by difference
// of the track's neighbouring labelled frames in the world.
std::vector<FrameBox> frame_boxes(const Sequence& sequence, size_t index,
                                  const std::vector<Matrix4>& world_from_ego,
                                  const std::string& labels_path) {
  const int64_t frame = sequence.frames[index];
  std::vector<FrameBox> boxes;
  const auto found = sequence.labels.find(frame);
  if (found == sequence.labels.end()) return boxes;
  const Matrix4 velo_from_rect = affine_inverse(sequence.calibration.rect_from_velo);
  auto world_centre = [&](size_t at, int32_t track, bool& seen) {
    seen = false;
    const auto labels = sequence.labels.find(sequence.frames[at]);
    if (labels == sequence.labels.end()) return std::array<double, 3>{};
    for (const auto& label : labels->second) {
      if (label.track != track) continue;
      seen = true;
      const std::array<double, 3> centre{
          label.bottom_in_rect[0], label.bottom_in_rect[1] - label.size_hwl[0] / 2, label.bottom_in_rect[2]};
      return transform_point(multiply(world_from_ego[at], velo_from_rect), centre);
    }
    return std::array<double, 3>{};
  };
  for (const auto& label : found->second) {
    const int class_id = semantickitti_class_of_kitti_type(label.type);
    if (class_id < 0) {
      throw FormatError(str("unknown object type ", occ::quoted(label.type), " at frame ", frame, " of ",
                            occ::quoted(labels_path)));
    }
    FrameBox box;
    // KITTI's location is the bottom centre in the rectified camera frame (y down).
    const std::array<double, 3> centre{
        label.bottom_in_rect[0], label.bottom_in_rect[1] - label.size_hwl[0] / 2, label.bottom_in_rect[2]};
    box.center = transform_point(velo_from_rect, centre);
    box.size_wlh = {float(label.size_hwl[1]), float(label.size_hwl[2]), float(label.size_hwl[0])};
    // Heading: rotation_y = 0 faces the camera's x axis; turn it into the ego frame.
    const std::array<double, 3> heading{std::cos(label.rotation_y), 0, -std::sin(label.rotation_y)};
    const double hx = velo_from_rect[0] * heading[0] + velo_from_rect[2] * heading[2];
    const double hy = velo_from_rect[4] * heading[0] + velo_from_rect[6] * heading[2];
    box.yaw = std::atan2(hy, hx);
    box.class_id = uint8_t(class_id);
    box.instance = label.track;
    bool has_prev = false, has_next = false, here = false;
    const auto prev = index > 0 ? world_centre(index - 1, label.track, has_prev) : std::array<double, 3>{};
    const auto next = index + 1 < sequence.frames.size() ? world_centre(index + 1, label.track, has_next)
                                                         : std::array<double, 3>{};
    const auto current = world_centre(index, label.track, here);
    if (has_prev || has_next) {
      const size_t first = has_prev ? index - 1 : index, last = has_next ? index + 1 : index;
      const double seconds = 1e-6 * double((sequence.frames[last] - sequence.frames[first]) * kFramePeriodUs);
      if (seconds <= (has_prev && has_next ? 2 : 1) * kMaxVelocityGapSeconds) {
        const auto& a = has_prev ? prev : current;
        const auto& b = has_next ? next : current;
        const double wx = (b[0] - a[0]) / seconds, wy = (b[1] - a[1]) / seconds, wz = (b[2] - a[2]) / seconds;
        const Matrix4& pose = world_from_ego[index];  // world -> ego by R^T
        box.velocity = {float(pose[0] * wx + pose[4] * wy + pose[8] * wz),
                        float(pose[1] * wx + pose[5] * wy + pose[9] * wz)};
      }
    }
    boxes.push_back(box);
  }
  return boxes;
}

}  // namespace

KittiPrepReport prep_kitti_tracking(const KittiPrepOptions& options) {
  options.validate();
  const auto start = std::chrono::steady_clock::now();
  const ImageEmbedding embedding = ImageEmbedding::parse(options.embed_images, options.image_size);
  std::vector<Sequence> sequences;
  for (const auto& name : sequence_names(options)) sequences.push_back(read_sequence(options.dataroot, name));

  FramesLayout layout;
  layout.dataset = "kitti-mot";
  layout.class_names = semantickitti_class_names();
  layout.free_class = 0;
  // The SemanticKITTI grid (formats.md) in the Velodyne frame.
  layout.grid_shape = {256, 256, 32};
  layout.grid_origin_m = {0.0, -25.6, -2.0};
  layout.voxel_size_m = {0.2, 0.2, 0.2};
  layout.camera_names = {"CAM_2"};
  for (const auto& sequence : sequences) {
    layout.scene_names.push_back(sequence.name);
    layout.frames += int64_t(sequence.frames.size());
    layout.boxes = layout.boxes || !sequence.labels.empty();
  }
  layout.dataroot = fs::absolute(options.dataroot).lexically_normal().string();
  embedding.describe(layout);
  layout.lidar_origin = true;
  std::vector<std::string> names, velodyne_folders;
  for (const auto& sequence : sequences) {
    names.push_back(sequence.name);
    velodyne_folders.push_back(options.dataroot + "/velodyne/" + sequence.name);
  }
  layout.lidar_points = keep_velodyne_points(options, names, velodyne_folders);
  layout.compression = options.compression;
  // The stereo baseline (for disparity = fx B / depth in the KITTI scene-flow
  // export) when every sequence's calibration has P3.
  layout.stereo_baseline = std::all_of(sequences.begin(), sequences.end(), [](const Sequence& sequence) {
    return sequence.calibration.stereo_baseline_m > 0;
  });

  FramesWriter writer(options.output, layout, options.to_json());
  Progress progress("kitti-mot frames", layout.frames);
  int32_t row = 0;
  for (size_t s = 0; s < sequences.size(); ++s) {
    const Sequence& sequence = sequences[s];
    const Matrix4 imu_from_velo = affine_inverse(sequence.calibration.velo_from_imu);
    std::vector<Matrix4> world_from_ego;
    for (const int64_t frame : sequence.frames)
      world_from_ego.push_back(multiply(sequence.imu_poses[size_t(frame)], imu_from_velo));
    const std::string labels_path = options.dataroot + "/label_02/" + sequence.name + ".txt";
    for (size_t i = 0; i < sequence.frames.size(); ++i, ++row) {
      FrameRecord record;
      record.token = sequence.name + "/" + frame_name(sequence.frames[i]);
      record.scene = int32_t(s);
      record.timestamp_us = sequence.frames[i] * kFramePeriodUs;
      record.prev = i > 0 ? row - 1 : -1;
      record.next = i + 1 < sequence.frames.size() ? row + 1 : -1;
      record.world_from_ego = world_from_ego[i];
      record.ego_from_camera = {sequence.calibration.ego_from_camera};
      add_camera_image(record, embedding, options.dataroot,
                       "image_02/" + sequence.name + "/" + frame_name(sequence.frames[i]) + ".png",
                       sequence.calibration.intrinsics);
      record.lidar_origin = {0, 0, 0};  // the ego frame is the Velodyne's
      if (layout.stereo_baseline) record.stereo_baseline_m = {sequence.calibration.stereo_baseline_m};
      if (layout.lidar_points)
        record.lidar_points =
            read_kitti_scan(velodyne_folders[s] + "/" + frame_name(sequence.frames[i]) + ".bin");
      if (layout.boxes) record.boxes = frame_boxes(sequence, i, world_from_ego, labels_path);
      writer.write(record);
      progress.advance();
    }
  }
  progress.finish();
  writer.commit();
  KittiPrepReport report;
  report.frames = layout.frames;
  report.sequences = int64_t(sequences.size());
  report.boxes = writer.boxes();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace occ::datasets
