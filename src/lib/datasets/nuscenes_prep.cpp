#include "datasets/nuscenes_prep.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <tuple>
#include <unordered_map>

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "datasets/camera_images.h"
#include "datasets/frames_writer.h"
#include "datasets/nuscenes_splits.h"
#include "datasets/nuscenes_sweeps.h"
#include "datasets/nuscenes_tables.h"
#include "datasets/occ3d_classes.h"
#include "datasets/occ3d_labels.h"
#include "datasets/openocc_labels.h"
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
// Sweep rows have no labels: every voxel is ignored (255) and unobserved.
constexpr uint8_t kIgnoredClass = 255;

// The selected samples (and with --sweeps the non-key camera frames),
// grouped by scene in time order, with the sample_data each frame needs;
// built and checked before anything is written.
struct Plan {
  std::vector<std::string> scene_names;
  struct Frame {
    bool keyframe = true;
    size_t sample = 0;  // the sample; for a sweep, the keyframe it follows
    int32_t scene = 0;
    int64_t timestamp_us = 0;     // the sample's; for a sweep, the reference camera's
    std::string token;            // the sample's; for a sweep, the reference camera's sample_data
    std::vector<size_t> cameras;  // sample_data index per camera
    long lidar = -1;              // sample_data index of LIDAR_TOP, -1 when absent (a sweep: its keyframe's)
  };
  std::vector<Frame> frames;
};

class NuScenesPrep {
 public:
  explicit NuScenesPrep(const NuScenesPrepOptions& options)
      : options_(options), tables_(read_nuscenes_tables(options.dataroot, options.version)) {
    embedding_ = ImageEmbedding::parse(options_.embed_images, options_.image_size);
    plan();
    check_files();
    if (!options_.openocc.empty()) {
      openocc_entries_ = openocc_entries(openocc_labels_path(first_keyframe()));
    }
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
    embedding_.describe(layout);
    layout.camera_poses = true;
    layout.lidar_origin = all_frames_have_lidar_;
    layout.lidar_points = options_.lidar_points;
    // With both label sets: semantics and masks from Occ3D, flow from OpenOcc.
    layout.occupancy = !options_.occ3d.empty() || !options_.openocc.empty();
    layout.lidar_mask = !options_.occ3d.empty() || openocc_entries_.mask_lidar;
    layout.camera_mask = !options_.occ3d.empty() || openocc_entries_.mask_camera;
    layout.flow = !options_.openocc.empty();
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
    for (const auto& frame : plan_.frames) report.sweeps += frame.keyframe ? 0 : 1;
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
    std::unordered_map<std::string, int32_t>& scene_index = scene_index_;
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
      frame.timestamp_us = tables_.samples[sample].timestamp_us;
      frame.token = tables_.samples[sample].token;
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
    if (options_.sweeps) add_sweeps();
    // Final rows: keyframe rows moved to their sorted places.
    sample_row.clear();
    for (size_t row = 0; row < plan_.frames.size(); ++row) {
      if (plan_.frames[row].keyframe) sample_row[plan_.frames[row].token] = row;
    }
    for (size_t i = 0; i < tables_.annotations.size(); ++i) {
      annotation_index_[tables_.annotations[i].token] = i;
      const auto row = sample_row.find(tables_.annotations[i].sample_token);
      if (row != sample_row.end()) annotations_of_[row->second].push_back(i);
    }
    for (const auto& sample : tables_.samples) sample_time_[sample.token] = sample.timestamp_us;
  }

  // One row per non-key image of the reference camera, matched with the
  // other cameras (nuscenes_sweeps.h), then merged with the keyframes in
  // time order so prev/next run through the sweeps.
  void add_sweeps() {
    const auto& cameras = nuscenes_camera_names();
    std::vector<std::vector<int64_t>> keyframe_times(plan_.scene_names.size());
    std::vector<std::vector<size_t>> keyframe_rows(plan_.scene_names.size());
    for (size_t row = 0; row < plan_.frames.size(); ++row) {  // keyframes, by scene in time order
      keyframe_times[size_t(plan_.frames[row].scene)].push_back(plan_.frames[row].timestamp_us);
      keyframe_rows[size_t(plan_.frames[row].scene)].push_back(row);
    }
    std::vector<SceneSweeps> scenes;
    for (auto& times : keyframe_times)
      scenes.emplace_back(tables_.sample_data, std::move(times), cameras.size());
    std::unordered_map<std::string, size_t> sample_index;
    for (size_t i = 0; i < tables_.samples.size(); ++i) sample_index[tables_.samples[i].token] = i;
    for (size_t i = 0; i < tables_.sample_data.size(); ++i) {
      const auto& data = tables_.sample_data[i];
      const auto scene = scene_index_.find(tables_.samples[sample_index.at(data.sample_token)].scene_token);
      if (scene == scene_index_.end()) continue;
      const auto camera = std::find(cameras.begin(), cameras.end(), channel_of(data));
      if (camera != cameras.end()) scenes[size_t(scene->second)].add(size_t(camera - cameras.begin()), i);
    }
    const size_t keyframes = plan_.frames.size();
    for (size_t s = 0; s < scenes.size(); ++s) {
      for (const auto& match : scenes[s].sweeps()) {
        const NuScenesSampleData& data = tables_.sample_data[size_t(match.cameras.front())];
        const Plan::Frame& owner = plan_.frames[keyframe_rows[s][size_t(std::max(match.gap, 0L))]];
        Plan::Frame sweep;
        sweep.keyframe = false;
        sweep.sample = owner.sample;
        sweep.scene = int32_t(s);
        sweep.timestamp_us = data.timestamp_us;
        sweep.token = data.token;
        sweep.lidar = owner.lidar;  // for the LiDAR origin, a calibration fixed along the scene
        for (size_t c = 0; c < cameras.size(); ++c) {
          if (match.cameras[c] == SceneSweeps::kNone) {
            throw FormatError(str("scene ", occ::quoted(plan_.scene_names[s]), " has no ", cameras[c],
                                  " image for the sweep ", occ::quoted(data.token), " in ",
                                  occ::quoted(tables_.folder + "/sample_data.json")));
          }
          sweep.cameras.push_back(size_t(match.cameras[c]));
        }
        plan_.frames.push_back(std::move(sweep));
      }
    }
    if (plan_.frames.size() == keyframes) return;
    std::stable_sort(plan_.frames.begin(), plan_.frames.end(),
                     [](const Plan::Frame& a, const Plan::Frame& b) {
                       if (a.scene != b.scene) return a.scene < b.scene;
                       if (a.timestamp_us != b.timestamp_us) return a.timestamp_us < b.timestamp_us;
                       return a.keyframe && !b.keyframe;
                     });
  }

  // Sweeps may come before a scene's first sample; every scene has a sample.
  const Plan::Frame& first_keyframe() const {
    return *std::find_if(plan_.frames.begin(), plan_.frames.end(),
                         [](const Plan::Frame& frame) { return frame.keyframe; });
  }

  std::string openocc_labels_path(const Plan::Frame& frame) const {
    return occ3d_labels_path(options_.openocc, plan_.scene_names[size_t(frame.scene)], frame.token);
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
      if (!frame.keyframe) continue;  // sweeps have no labels or points
      if (options_.lidar_points) check(full_path(tables_.sample_data[size_t(frame.lidar)].filename));
      if (!options_.occ3d.empty()) {
        check(occ3d_labels_path(options_.occ3d, plan_.scene_names[size_t(frame.scene)], frame.token));
      }
      if (!options_.openocc.empty()) check(openocc_labels_path(frame));
    }
    if (count > 0) {
      throw IoError(str(count, " input file", count == 1 ? " is" : "s are", " missing: ", join(missing, ", "),
                        count > missing.size() ? ", ..." : ""));
    }
  }

  FrameRecord frame_record(size_t row) const {
    const Plan::Frame& frame = plan_.frames[row];
    FrameRecord record;
    record.token = frame.token;
    record.scene = frame.scene;
    record.timestamp_us = frame.timestamp_us;
    record.keyframe = frame.keyframe;
    record.prev = row > 0 && plan_.frames[row - 1].scene == frame.scene ? int32_t(row - 1) : -1;
    record.next =
        row + 1 < plan_.frames.size() && plan_.frames[row + 1].scene == frame.scene ? int32_t(row + 1) : -1;
    // The sample's ego pose is the LiDAR's (devkit and mmdet3d convention);
    // the front camera's when a dataset has no LIDAR_TOP, and for a sweep,
    // whose time is the front camera's.
    const size_t pose_data = frame.keyframe && frame.lidar >= 0 ? size_t(frame.lidar) : frame.cameras.front();
    record.world_from_ego =
        tables_.ego_poses.at(tables_.sample_data[pose_data].ego_pose_token).world_from_ego;
    for (const size_t index : frame.cameras) add_camera(record, tables_.sample_data[index]);
    if (frame.lidar >= 0) {
      const auto& lidar = tables_.sample_data[size_t(frame.lidar)];
      const Matrix4& ego_from_lidar = tables_.calibrations.at(lidar.calibrated_sensor_token).ego_from_sensor;
      record.lidar_origin = {ego_from_lidar[3], ego_from_lidar[7], ego_from_lidar[11]};
      if (options_.lidar_points && frame.keyframe)
        record.lidar_points = read_pcd_points(full_path(lidar.filename), ego_from_lidar);
    }
    if (frame.keyframe) {
      add_labels(record, frame);
    } else if (!options_.occ3d.empty() || !options_.openocc.empty()) {
      add_sweep_labels(record);
    }
    const auto annotations = annotations_of_.find(row);
    if (annotations != annotations_of_.end()) {
      const Matrix4 ego_from_world = geom::rigid_inverse(record.world_from_ego);
      for (const size_t index : annotations->second) record.boxes.push_back(box(ego_from_world, index));
    }
    return record;
  }

  void add_labels(FrameRecord& record, const Plan::Frame& frame) const {
    if (!options_.occ3d.empty()) {
      Occ3dLabels labels = read_occ3d_labels(
          occ3d_labels_path(options_.occ3d, plan_.scene_names[size_t(frame.scene)], frame.token), kOcc3dShape,
          int(occ3d_class_names().size()));
      record.semantics = std::move(labels.semantics);
      record.mask_lidar = std::move(labels.mask_lidar);
      record.mask_camera = std::move(labels.mask_camera);
    }
    if (options_.openocc.empty()) return;
    // Reading checks the OpenOcc semantics against the Occ3D grid too, so
    // label sets of different grids are refused.
    const std::string path = openocc_labels_path(frame);
    OpenOccLabels labels = read_openocc_labels(path, kOcc3dShape);
    record.flow = std::move(labels.flow);
    if (!options_.occ3d.empty()) return;
    record.semantics = std::move(labels.semantics);
    for (const auto& [name, wanted, grid] :
         {std::tuple{"mask_camera", openocc_entries_.mask_camera, &labels.mask_camera},
          std::tuple{"mask_lidar", openocc_entries_.mask_lidar, &labels.mask_lidar}}) {
      if (wanted && grid->empty()) {
        throw FormatError(str(occ::quoted(path), " has no entry '", name, "' where ",
                              occ::quoted(openocc_labels_path(first_keyframe())), " has one"));
      }
    }
    record.mask_camera = std::move(labels.mask_camera);
    record.mask_lidar = std::move(labels.mask_lidar);
  }

  // Sweeps are not annotated: every voxel ignored, unobserved and still.
  void add_sweep_labels(FrameRecord& record) const {
    const size_t voxels = size_t(kOcc3dShape[0] * kOcc3dShape[1] * kOcc3dShape[2]);
    record.semantics.assign(voxels, kIgnoredClass);
    record.mask_lidar.assign(voxels, 0);
    record.mask_camera.assign(voxels, 0);
    if (!options_.openocc.empty()) record.flow.assign(2 * voxels, 0.f);
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
    add_camera_image(record, embedding_, options_.dataroot, data.filename, k);
  }

  FrameBox box(const Matrix4& ego_from_world, size_t index) const {
    const NuScenesAnnotation& annotation = tables_.annotations[index];
    const Matrix4 ego_from_box =
        geom::multiply(ego_from_world, pose_matrix(annotation.translation, annotation.rotation));
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
  ImageEmbedding embedding_;
  OpenOccEntries openocc_entries_;
  std::unordered_map<std::string, int32_t> scene_index_;  // scene token -> index of a selected scene
  bool all_frames_have_lidar_ = false;
  std::unordered_map<size_t, std::vector<size_t>> annotations_of_;  // frame row -> annotations
  std::unordered_map<std::string, size_t> annotation_index_;
  std::unordered_map<std::string, int64_t> sample_time_;
  mutable std::unordered_map<std::string, int32_t> instance_ids_;  // assigned in first-seen order
};

}  // namespace

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
  ImageEmbedding::parse(embed_images, image_size);
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
          {"openocc", openocc},
          {"sweeps", sweeps},
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
