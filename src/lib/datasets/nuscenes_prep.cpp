#include "datasets/nuscenes_prep.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "datasets/frames_writer.h"
#include "datasets/nuscenes_splits.h"
#include "datasets/nuscenes_tables.h"
#include "datasets/occ3d_classes.h"
#include "datasets/occ3d_labels.h"
#include "datasets/sensor_files.h"
#include "h5/dataset.h"

namespace occ::datasets {
namespace {

const std::string kLidar = "LIDAR_TOP";
// The Occ3D-nuScenes grid (protoocc.md): 200 x 200 x 16 voxels of 0.4 m
// from (-40, -40, -1) in the ego frame.
constexpr std::array<int64_t, 3> kOcc3dShape{200, 200, 16};
constexpr std::array<double, 3> kOcc3dOrigin{-40.0, -40.0, -1.0};
constexpr std::array<double, 3> kOcc3dVoxel{0.4, 0.4, 0.4};
// nuscenes-devkit NuScenes.box_velocity: neighbours further apart than this
// (twice it for a centred difference) give no velocity.
constexpr double kMaxVelocityGapSeconds = 1.5;
constexpr size_t kMissingListed = 5;

void parse_size(const std::string& text, int& height, int& width) {
  const size_t x = text.find('x');
  try {
    size_t used_h = 0, used_w = 0;
    if (x == std::string::npos) throw std::invalid_argument("no x");
    height = std::stoi(text.substr(0, x), &used_h);
    width = std::stoi(text.substr(x + 1), &used_w);
    if (used_h != x || used_w != text.size() - x - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw UsageError(str("--image-size ", occ::quoted(text), " is not HEIGHTxWIDTH, e.g. 256x704"));
  }
  if (height < 8 || width < 8 || height > 4096 || width > 4096) {
    throw UsageError(str("--image-size ", occ::quoted(text), " is outside 8x8 to 4096x4096"));
  }
}

Matrix4 multiply(const Matrix4& a, const Matrix4& b) {
  Matrix4 out{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      for (int k = 0; k < 4; ++k) out[r * 4 + c] += a[r * 4 + k] * b[k * 4 + c];
  return out;
}

Matrix4 rigid_inverse(const Matrix4& m) {
  Matrix4 out{};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) out[r * 4 + c] = m[c * 4 + r];
    out[r * 4 + 3] = -(m[0 * 4 + r] * m[3] + m[1 * 4 + r] * m[7] + m[2 * 4 + r] * m[11]);
  }
  out[15] = 1;
  return out;
}

// The selected samples, grouped by scene in time order, with the sample_data
// each frame needs; built and checked before anything is written.
struct Plan {
  std::vector<std::string> scene_names;
  struct Frame {
    size_t sample = 0;
    int32_t scene = 0;
    std::vector<size_t> cameras;  // sample_data index per camera
    long lidar = -1;              // sample_data index of LIDAR_TOP, -1 when absent
  };
  std::vector<Frame> frames;
};

class NuScenesPrep {
 public:
  explicit NuScenesPrep(const NuScenesPrepOptions& options)
      : options_(options), tables_(read_nuscenes_tables(options.dataroot, options.version)) {
    if (options_.embed_images) parse_size(options_.image_size, height_, width_);
    plan();
    check_files();
  }

  NuScenesPrepReport write() {
    FramesLayout layout;
    layout.dataset = options_.version.rfind("v1.01", 0) == 0 ? "lyft" : "nuscenes";
    layout.class_names = occ3d_class_names();
    layout.free_class = kOcc3dFreeClass;
    layout.grid_shape = kOcc3dShape;
    layout.grid_origin_m = kOcc3dOrigin;
    layout.voxel_size_m = kOcc3dVoxel;
    layout.camera_names = nuscenes_camera_names();
    layout.scene_names = plan_.scene_names;
    layout.frames = static_cast<int64_t>(plan_.frames.size());
    layout.dataroot = std::filesystem::absolute(options_.dataroot).lexically_normal().string();
    layout.image_height = options_.embed_images ? height_ : 0;
    layout.image_width = options_.embed_images ? width_ : 0;
    layout.image_paths = !options_.embed_images;
    layout.camera_poses = true;
    layout.lidar_origin = all_frames_have_lidar_;
    layout.lidar_points = options_.lidar_points;
    layout.occupancy = !options_.occ3d.empty();
    layout.boxes = true;
    layout.compression = options_.compression;
    FramesWriter writer(options_.output, layout, options_.to_json());
    Progress progress("nuscenes frames", layout.frames);
    for (size_t row = 0; row < plan_.frames.size(); ++row) {
      writer.write(frame_record(row));
      progress.advance();
    }
    progress.finish();
    writer.commit();
    NuScenesPrepReport report;
    report.frames = layout.frames;
    report.scenes = static_cast<int64_t>(plan_.scene_names.size());
    report.lidar_points = writer.lidar_points();
    report.boxes = writer.boxes();
    return report;
  }

 private:
  std::string channel_of(const NuScenesSampleData& data) const {
    return tables_.sensors.at(tables_.calibrations.at(data.calibrated_sensor_token).sensor_token).channel;
  }

  std::set<std::string> wanted_scenes() const {
    std::set<std::string> names;
    for (const auto& scene : tables_.scenes) names.insert(scene.name);
    for (const auto& name : options_.scenes) {
      if (names.count(name) == 0) {
        throw FormatError(
            str("scene ", occ::quoted(name), " is not in ", occ::quoted(tables_.folder + "/scene.json")));
      }
    }
    std::set<std::string> wanted =
        options_.scenes.empty() ? names
                                : std::set<std::string>(options_.scenes.begin(), options_.scenes.end());
    if (!options_.split.empty()) {
      const auto split = nuscenes_split_scenes(options_.split);
      std::set<std::string> in_split;
      for (const auto& name : split) {
        if (wanted.count(name)) in_split.insert(name);
      }
      wanted = in_split;
    }
    if (wanted.empty()) {
      throw FormatError(str("no scene of split ", occ::quoted(options_.split), " is in ",
                            occ::quoted(tables_.folder + "/scene.json")));
    }
    return wanted;
  }

  void plan() {
    const auto wanted = wanted_scenes();
    std::unordered_map<std::string, int32_t> scene_index;
    int shard_index = 0, shard_count = 1;
    if (!options_.shard.empty()) parse_shard(options_.shard, shard_index, shard_count);
    // Shards are contiguous runs of the selected scenes in table order, so
    // merging them in order gives the rows (and instance ids) of one run.
    const auto selected_scenes = static_cast<int64_t>(wanted.size());
    int64_t position = 0;
    for (const auto& scene : tables_.scenes) {
      if (!wanted.count(scene.name)) continue;
      if (position++ * shard_count / selected_scenes != shard_index) continue;
      scene_index[scene.token] = static_cast<int32_t>(plan_.scene_names.size());
      plan_.scene_names.push_back(scene.name);
    }
    if (plan_.scene_names.empty()) {
      throw FormatError(str("shard ", options_.shard, " holds no scene: only ", position, " are selected"));
    }
    std::unordered_map<std::string, size_t> sample_row;
    std::vector<size_t> selected;
    for (size_t i = 0; i < tables_.samples.size(); ++i) {
      if (scene_index.count(tables_.samples[i].scene_token)) selected.push_back(i);
    }
    std::stable_sort(selected.begin(), selected.end(), [&](size_t a, size_t b) {
      const auto& sa = tables_.samples[a];
      const auto& sb = tables_.samples[b];
      const int32_t scene_a = scene_index.at(sa.scene_token), scene_b = scene_index.at(sb.scene_token);
      return scene_a != scene_b ? scene_a < scene_b : sa.timestamp_us < sb.timestamp_us;
    });
    const auto& cameras = nuscenes_camera_names();
    for (const size_t sample : selected) {
      sample_row[tables_.samples[sample].token] = plan_.frames.size();
      Plan::Frame frame;
      frame.sample = sample;
      frame.scene = scene_index.at(tables_.samples[sample].scene_token);
      frame.cameras.assign(cameras.size(), SIZE_MAX);
      plan_.frames.push_back(frame);
    }
    for (size_t i = 0; i < tables_.sample_data.size(); ++i) {
      const auto& data = tables_.sample_data[i];
      if (!data.is_key_frame) continue;
      const auto row = sample_row.find(data.sample_token);
      if (row == sample_row.end()) continue;
      const std::string channel = channel_of(data);
      auto& frame = plan_.frames[row->second];
      if (channel == kLidar) frame.lidar = static_cast<long>(i);
      const auto camera = std::find(cameras.begin(), cameras.end(), channel);
      if (camera != cameras.end()) frame.cameras[size_t(camera - cameras.begin())] = i;
    }
    all_frames_have_lidar_ = true;
    for (const auto& frame : plan_.frames) {
      for (size_t c = 0; c < cameras.size(); ++c) {
        if (frame.cameras[c] == SIZE_MAX) {
          throw FormatError(str("sample ", occ::quoted(tables_.samples[frame.sample].token),
                                " has no keyframe ", cameras[c], " image in ",
                                occ::quoted(tables_.folder + "/sample_data.json")));
        }
      }
      if (frame.lidar < 0) all_frames_have_lidar_ = false;
    }
    if (options_.lidar_points && !all_frames_have_lidar_) {
      throw FormatError(str("--lidar-points: some samples have no ", kLidar, " keyframe in ",
                            occ::quoted(tables_.folder + "/sample_data.json")));
    }
    for (size_t i = 0; i < tables_.annotations.size(); ++i) {
      annotation_index_[tables_.annotations[i].token] = i;
      const auto row = sample_row.find(tables_.annotations[i].sample_token);
      if (row != sample_row.end()) annotations_of_[row->second].push_back(i);
    }
    for (const auto& sample : tables_.samples) sample_time_[sample.token] = sample.timestamp_us;
  }

  std::string full_path(const std::string& relative) const { return options_.dataroot + "/" + relative; }

  // Lists the first missing inputs at once, rather than failing on the first.
  void check_files() const {
    std::vector<std::string> missing;
    size_t count = 0;
    auto check = [&](const std::string& path) {
      if (std::filesystem::is_regular_file(path)) return;
      if (missing.size() < kMissingListed) missing.push_back(occ::quoted(path));
      ++count;
    };
    for (const auto& frame : plan_.frames) {
      for (const size_t data : frame.cameras) check(full_path(tables_.sample_data[data].filename));
      if (options_.lidar_points) check(full_path(tables_.sample_data[size_t(frame.lidar)].filename));
      if (!options_.occ3d.empty()) {
        check(occ3d_labels_path(options_.occ3d, plan_.scene_names[size_t(frame.scene)],
                                tables_.samples[frame.sample].token));
      }
    }
    if (count > 0) {
      throw IoError(str(count, " input file", count == 1 ? " is" : "s are", " missing: ", join(missing, ", "),
                        count > missing.size() ? ", ..." : ""));
    }
  }

  FrameRecord frame_record(size_t row) const {
    const Plan::Frame& frame = plan_.frames[row];
    const NuScenesSample& sample = tables_.samples[frame.sample];
    FrameRecord record;
    record.token = sample.token;
    record.scene = frame.scene;
    record.timestamp_us = sample.timestamp_us;
    record.keyframe = true;
    record.prev = row > 0 && plan_.frames[row - 1].scene == frame.scene ? int32_t(row - 1) : -1;
    record.next =
        row + 1 < plan_.frames.size() && plan_.frames[row + 1].scene == frame.scene ? int32_t(row + 1) : -1;
    // The sample's ego pose is the LiDAR's (devkit and mmdet3d convention);
    // the front camera's when a dataset has no LIDAR_TOP.
    const size_t pose_data = frame.lidar >= 0 ? size_t(frame.lidar) : frame.cameras.front();
    record.world_from_ego =
        tables_.ego_poses.at(tables_.sample_data[pose_data].ego_pose_token).world_from_ego;
    for (const size_t index : frame.cameras) add_camera(record, tables_.sample_data[index]);
    if (frame.lidar >= 0) {
      const auto& lidar = tables_.sample_data[size_t(frame.lidar)];
      const Matrix4& ego_from_lidar = tables_.calibrations.at(lidar.calibrated_sensor_token).ego_from_sensor;
      record.lidar_origin = {ego_from_lidar[3], ego_from_lidar[7], ego_from_lidar[11]};
      if (options_.lidar_points)
        record.lidar_points = read_pcd_points(full_path(lidar.filename), ego_from_lidar);
    }
    if (!options_.occ3d.empty()) {
      Occ3dLabels labels = read_occ3d_labels(
          occ3d_labels_path(options_.occ3d, plan_.scene_names[size_t(frame.scene)], sample.token),
          kOcc3dShape, int(occ3d_class_names().size()));
      record.semantics = std::move(labels.semantics);
      record.mask_lidar = std::move(labels.mask_lidar);
      record.mask_camera = std::move(labels.mask_camera);
    }
    const auto annotations = annotations_of_.find(row);
    if (annotations != annotations_of_.end()) {
      const Matrix4 ego_from_world = rigid_inverse(record.world_from_ego);
      for (const size_t index : annotations->second) record.boxes.push_back(box(ego_from_world, index));
    }
    return record;
  }

  void add_camera(FrameRecord& record, const NuScenesSampleData& data) const {
    const NuScenesCalibration& calibration = tables_.calibrations.at(data.calibrated_sensor_token);
    if (calibration.intrinsic.size() != 9) {
      throw FormatError(str("calibrated_sensor ", occ::quoted(data.calibrated_sensor_token), " in ",
                            occ::quoted(tables_.folder + "/calibrated_sensor.json"),
                            " has no camera_intrinsic"));
    }
    std::array<double, 9> k{};
    std::copy(calibration.intrinsic.begin(), calibration.intrinsic.end(), k.begin());
    record.ego_from_camera.push_back(calibration.ego_from_sensor);
    record.camera_world_from_ego.push_back(tables_.ego_poses.at(data.ego_pose_token).world_from_ego);
    record.camera_timestamp_us.push_back(data.timestamp_us);
    if (!options_.embed_images) {
      record.image_paths.push_back(data.filename);
    } else {
      double sx = 1, sy = 1;
      const auto rgb = read_resized_rgb(full_path(data.filename), height_, width_, sx, sy);
      record.images.insert(record.images.end(), rgb.begin(), rgb.end());
      // Pixel coordinates scale with the image (mmdet3d's resize convention).
      for (int c = 0; c < 3; ++c) k[size_t(c)] *= sx, k[size_t(3 + c)] *= sy;
    }
    record.intrinsics.push_back(k);
  }

  FrameBox box(const Matrix4& ego_from_world, size_t index) const {
    const NuScenesAnnotation& annotation = tables_.annotations[index];
    const Matrix4 ego_from_box =
        multiply(ego_from_world, pose_matrix(annotation.translation, annotation.rotation));
    FrameBox box;
    box.center = {ego_from_box[3], ego_from_box[7], ego_from_box[11]};
    for (int axis = 0; axis < 3; ++axis)
      box.size_wlh[size_t(axis)] = float(annotation.size_wlh[size_t(axis)]);
    box.yaw = std::atan2(ego_from_box[4], ego_from_box[0]);
    box.class_id = occ3d_class_of_category(tables_.instance_category.at(annotation.instance_token));
    auto [instance, inserted] =
        instance_ids_.emplace(annotation.instance_token, static_cast<int32_t>(instance_ids_.size()));
    (void)inserted;
    box.instance = instance->second;
    const auto velocity = world_velocity(annotation);
    box.velocity = {float(ego_from_world[0] * velocity[0] + ego_from_world[1] * velocity[1] +
                          ego_from_world[2] * velocity[2]),
                    float(ego_from_world[4] * velocity[0] + ego_from_world[5] * velocity[1] +
                          ego_from_world[6] * velocity[2])};
    return box;
  }

  // Velocity by difference of the neighbouring annotations of the instance
  // (nuscenes-devkit NuScenes.box_velocity); zero where the devkit gives NaN
  // (a lone annotation, neighbours too far apart or outside the tables).
  std::array<double, 3> world_velocity(const NuScenesAnnotation& current) const {
    auto find = [&](const std::string& token) -> const NuScenesAnnotation* {
      const auto found = annotation_index_.find(token);
      return found == annotation_index_.end() ? nullptr : &tables_.annotations[found->second];
    };
    const NuScenesAnnotation* prev = find(current.prev);
    const NuScenesAnnotation* next = find(current.next);
    if (!prev && !next) return {0, 0, 0};
    const NuScenesAnnotation& first = prev ? *prev : current;
    const NuScenesAnnotation& last = next ? *next : current;
    const double seconds =
        1e-6 * double(sample_time_.at(last.sample_token) - sample_time_.at(first.sample_token));
    const double limit = (prev && next ? 2 : 1) * kMaxVelocityGapSeconds;
    if (!(seconds > 0) || seconds > limit) return {0, 0, 0};
    return {(last.translation[0] - first.translation[0]) / seconds,
            (last.translation[1] - first.translation[1]) / seconds,
            (last.translation[2] - first.translation[2]) / seconds};
  }

  NuScenesPrepOptions options_;
  NuScenesTables tables_;
  Plan plan_;
  int height_ = 0, width_ = 0;
  bool all_frames_have_lidar_ = false;
  std::unordered_map<size_t, std::vector<size_t>> annotations_of_;  // frame row -> annotations
  std::unordered_map<std::string, size_t> annotation_index_;
  std::unordered_map<std::string, int64_t> sample_time_;
  mutable std::unordered_map<std::string, int32_t> instance_ids_;  // assigned in first-seen order
};

}  // namespace

const std::vector<std::string>& nuscenes_versions() {
  static const std::vector<std::string> versions = {"v1.0-trainval", "v1.0-mini", "v1.0-test", "v1.01-train",
                                                    "v1.01-test"};
  return versions;
}

const std::vector<std::string>& nuscenes_camera_names() {
  static const std::vector<std::string> names = {"CAM_FRONT", "CAM_FRONT_RIGHT", "CAM_FRONT_LEFT",
                                                 "CAM_BACK",  "CAM_BACK_LEFT",   "CAM_BACK_RIGHT"};
  return names;
}

void parse_shard(const std::string& text, int& index, int& count) {
  const size_t slash = text.find('/');
  try {
    size_t used_index = 0, used_count = 0;
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    index = std::stoi(text.substr(0, slash), &used_index);
    count = std::stoi(text.substr(slash + 1), &used_count);
    if (used_index != slash || used_count != text.size() - slash - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw UsageError(str("--shard ", occ::quoted(text), " is not I/N, e.g. 0/4"));
  }
  if (count < 1 || index < 0 || index >= count) {
    throw UsageError(str("--shard ", occ::quoted(text), " needs 0 <= I < N"));
  }
}

void NuScenesPrepOptions::validate() const {
  if (dataroot.empty()) throw UsageError("--dataroot is required");
  if (output.empty()) throw UsageError("--output is required");
  const auto& known = nuscenes_versions();
  if (std::find(known.begin(), known.end(), version) == known.end()) {
    throw UsageError(
        str("unknown nuScenes version ", occ::quoted(version), " (known: ", join(known, ", "), ")"));
  }
  if (!split.empty()) nuscenes_split_scenes(split);  // throws for an unknown split
  if (embed_images) {
    int h = 0, w = 0;
    parse_size(image_size, h, w);
  }
  h5::Compression::parse(compression);
  if (!shard.empty()) {
    int index = 0, count = 0;
    parse_shard(shard, index, count);
  }
}

nlohmann::json NuScenesPrepOptions::to_json() const {
  return {{"dataroot", dataroot},
          {"version", version},
          {"occ3d", occ3d},
          {"split", split},
          {"scenes", scenes},
          {"lidar_points", lidar_points},
          {"embed_images", embed_images},
          {"image_size", image_size},
          {"compression", compression},
          {"shard", shard}};
}

NuScenesPrepReport prep_nuscenes(const NuScenesPrepOptions& options) {
  options.validate();
  const auto start = std::chrono::steady_clock::now();
  NuScenesPrep prep(options);
  NuScenesPrepReport report = prep.write();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace occ::datasets
