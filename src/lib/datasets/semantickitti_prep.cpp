#include "datasets/semantickitti_prep.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "datasets/camera_images.h"
#include "datasets/frames_writer.h"
#include "datasets/kitti_tracking.h"
#include "datasets/learning_map.h"
#include "datasets/semantickitti.h"
#include "datasets/sensor_files.h"
#include "h5/dataset.h"

namespace occ::datasets {
namespace {

namespace fs = std::filesystem;
constexpr size_t kMissingListed = 5;

std::string frame_name(int64_t frame) {
  char name[24];
  std::snprintf(name, sizeof name, "%06lld", static_cast<long long>(frame));
  return name;
}

struct Sequence {
  std::string name, folder;
  std::vector<int64_t> frames;  // scans with voxel files, ascending
  bool labelled = false;        // .label and .invalid beside the .bin
  SemanticKittiCalibration calibration;
  std::vector<Matrix4> poses;
  std::vector<int64_t> times_us;
};

std::vector<std::string> sequence_names(const SemanticKittiPrepOptions& options) {
  if (!options.sequences.empty()) return options.sequences;
  const std::string root = options.dataroot + "/sequences";
  if (!fs::is_directory(root)) throw IoError(str("cannot open ", occ::quoted(root), ": no such folder"));
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (fs::is_directory(entry.path() / "voxels")) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) throw FormatError(str(occ::quoted(root), " holds no sequence with voxels/"));
  return names;
}

Sequence read_sequence(const std::string& dataroot, const std::string& name,
                       std::vector<std::string>& missing, size_t& missing_count) {
  Sequence sequence;
  sequence.name = name;
  sequence.folder = dataroot + "/sequences/" + name;
  const std::string voxels = sequence.folder + "/voxels";
  sequence.frames = numbered_files(voxels, ".bin", "voxel file");
  sequence.labelled = fs::exists(voxels + "/" + frame_name(sequence.frames.front()) + ".label");
  sequence.calibration = read_semantickitti_calibration(sequence.folder + "/calib.txt");
  sequence.poses = read_semantickitti_poses(sequence.folder + "/poses.txt");
  sequence.times_us = read_semantickitti_times(sequence.folder + "/times.txt");
  const int64_t last = sequence.frames.back();
  if (int64_t(sequence.poses.size()) <= last || int64_t(sequence.times_us.size()) <= last) {
    throw FormatError(str("sequence ", occ::quoted(name), " has voxels for scan ", last, " but ",
                          sequence.poses.size(), " poses and ", sequence.times_us.size(), " times"));
  }
  auto check = [&](const std::string& path) {
    if (fs::is_regular_file(path)) return;
    if (missing.size() < kMissingListed) missing.push_back(occ::quoted(path));
    ++missing_count;
  };
  for (const int64_t frame : sequence.frames) {
    check(sequence.folder + "/image_2/" + frame_name(frame) + ".png");
    if (sequence.labelled) {
      check(voxels + "/" + frame_name(frame) + ".label");
      check(voxels + "/" + frame_name(frame) + ".invalid");
    }
  }
  return sequence;
}

}  // namespace

SemanticKittiPrepReport prep_semantickitti(const SemanticKittiPrepOptions& options) {
  options.validate();
  const auto start = std::chrono::steady_clock::now();
  const ImageEmbedding embedding = ImageEmbedding::parse(options.embed_images, options.image_size);
  std::vector<Sequence> sequences;
  std::vector<std::string> missing;
  size_t missing_count = 0;
  for (const auto& name : sequence_names(options))
    sequences.push_back(read_sequence(options.dataroot, name, missing, missing_count));
  if (missing_count > 0) {
    throw IoError(str(missing_count, " input file", missing_count == 1 ? " is" : "s are",
                      " missing: ", join(missing, ", "), missing_count > missing.size() ? ", ..." : ""));
  }
  for (const auto& sequence : sequences) {
    if (sequence.labelled != sequences.front().labelled) {
      throw FormatError(str("sequence ", occ::quoted(sequence.name), " and sequence ",
                            occ::quoted(sequences.front().name),
                            " differ in having voxel labels; prepare test sequences apart"));
    }
  }

  FramesLayout layout;
  layout.dataset = "semantickitti";
  layout.class_names = semantickitti_class_names();
  layout.free_class = 0;
  layout.grid_shape = {256, 256, 32};
  layout.grid_origin_m = {0.0, -25.6, -2.0};
  layout.voxel_size_m = {0.2, 0.2, 0.2};
  layout.camera_names = {"CAM_2"};
  for (const auto& sequence : sequences) {
    layout.scene_names.push_back(sequence.name);
    layout.frames += int64_t(sequence.frames.size());
  }
  layout.dataroot = fs::absolute(options.dataroot).lexically_normal().string();
  embedding.describe(layout);
  layout.lidar_origin = true;
  std::vector<std::string> names, velodyne_folders;
  for (const auto& sequence : sequences) {
    names.push_back(sequence.name);
    velodyne_folders.push_back(sequence.folder + "/velodyne");
  }
  layout.lidar_points = keep_velodyne_points(options, names, velodyne_folders);
  layout.occupancy = sequences.front().labelled;
  layout.camera_mask = false;
  layout.compression = options.compression;
  // The stereo baseline (KITTI scene-flow export) when every calib.txt has P3.
  layout.stereo_baseline = std::all_of(sequences.begin(), sequences.end(), [](const auto& sequence) {
    return sequence.calibration.stereo_baseline_m > 0;
  });
  // evaluate_completion.py's table: classes mapped to 0 other than empty
  // (outlier, other-structure, other-object) become 255, ignored.
  const std::vector<uint8_t> lut = completion_lut(semantickitti_learning_map());

  FramesWriter writer(options.output, layout, options.to_json());
  Progress progress("semantickitti frames", layout.frames);
  int32_t row = 0;
  for (size_t s = 0; s < sequences.size(); ++s) {
    const Sequence& sequence = sequences[s];
    const Matrix4& cam0_from_velo = sequence.calibration.cam0_from_velo;
    const Matrix4 velo_from_cam0 = affine_inverse(cam0_from_velo);
    for (size_t i = 0; i < sequence.frames.size(); ++i, ++row) {
      const int64_t frame = sequence.frames[i];
      const std::string voxels = sequence.folder + "/voxels/" + frame_name(frame);
      FrameRecord record;
      record.token = sequence.name + "/" + frame_name(frame);
      record.scene = int32_t(s);
      record.timestamp_us = sequence.times_us[size_t(frame)];
      record.prev = i > 0 ? row - 1 : -1;
      record.next = i + 1 < sequence.frames.size() ? row + 1 : -1;
      // World = the Velodyne frame of scan 0, so z points up everywhere.
      record.world_from_ego =
          multiply(multiply(velo_from_cam0, sequence.poses[size_t(frame)]), cam0_from_velo);
      record.ego_from_camera = {sequence.calibration.ego_from_camera};
      add_camera_image(record, embedding, options.dataroot,
                       "sequences/" + sequence.name + "/image_2/" + frame_name(frame) + ".png",
                       sequence.calibration.intrinsics);
      record.lidar_origin = {0, 0, 0};
      if (layout.stereo_baseline) record.stereo_baseline_m = {sequence.calibration.stereo_baseline_m};
      if (layout.lidar_points)
        record.lidar_points = read_kitti_scan(velodyne_folders[s] + "/" + frame_name(frame) + ".bin");
      read_packed_voxels(voxels + ".bin",
                         kSemanticKittiVoxels);  // a truncated .bin is an error even unlabelled
      if (layout.occupancy) {
        const auto labels = read_voxel_labels(voxels + ".label", kSemanticKittiVoxels);
        record.semantics.resize(labels.size());
        for (size_t v = 0; v < labels.size(); ++v)
          record.semantics[v] = labels[v] < lut.size() ? lut[labels[v]] : 255;
        const auto invalid = read_packed_voxels(voxels + ".invalid", kSemanticKittiVoxels);
        record.mask_lidar.resize(invalid.size());
        for (size_t v = 0; v < invalid.size(); ++v) record.mask_lidar[v] = invalid[v] ? 0 : 1;
      }
      writer.write(record);
      progress.advance();
    }
  }
  progress.finish();
  writer.commit();
  SemanticKittiPrepReport report;
  report.frames = layout.frames;
  report.sequences = int64_t(sequences.size());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace occ::datasets
