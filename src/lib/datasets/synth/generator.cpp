#include "datasets/synth/generator.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "datasets/synth/random.h"
#include "datasets/synth/render.h"
#include "datasets/synth/snapshot.h"

namespace occ::synth {
namespace {

// nuScenes-like capture times: microseconds, scenes 1000 s apart.
constexpr int64_t kFirstTimestampUs = 1533151603000000;
constexpr int64_t kSceneSpacingUs = 1000000000;
// Geometry beyond this many metres from the ego is dropped from a snapshot.
constexpr double kSnapshotRangeM = 120.0;

class Stopwatch {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return seconds;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

std::string hex_token(uint64_t a, uint64_t b) {
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return text;
}

}  // namespace

std::string scene_name(uint64_t seed, int scene) {
  char text[64];
  std::snprintf(text, sizeof text, "synth-%llu-%04d", static_cast<unsigned long long>(seed), scene);
  return text;
}

SynthGenerator::SynthGenerator(const SynthOptions& options)
    : options_(options), rig_(rig_by_name(options.rig)), grid_(parse_grid(options.grid, rig_)) {
  height_ = rig_.default_height;
  width_ = rig_.default_width;
  if (!options.image_size.empty()) parse_image_size(options.image_size, height_, width_);
  cameras_ = rig_.cameras_at(height_, width_);
  rows_per_scene_ = (options.frames_per_scene - 1) * (options.sweeps + 1) + 1;
}

double SynthGenerator::frame_time(int row_in_scene) const {
  return row_in_scene / (options_.fps * (options_.sweeps + 1));
}

const World& SynthGenerator::world(int scene) {
  if (scene != world_scene_) {
    Stopwatch watch;
    world_ = std::make_unique<World>(build_world(options_.seed, scene, frame_time(rows_per_scene_ - 1)));
    world_scene_ = scene;
    seconds_.scene += watch.lap();
  }
  return *world_;
}

SynthFrame SynthGenerator::frame(int64_t row) {
  SynthFrame frame;
  frame.scene = static_cast<int>(row / rows_per_scene_);
  frame.row_in_scene = static_cast<int>(row % rows_per_scene_);
  const World& scene_world = world(frame.scene);
  const double t = frame_time(frame.row_in_scene);
  frame.keyframe = is_keyframe(frame.row_in_scene);
  frame.timestamp_us = kFirstTimestampUs + frame.scene * kSceneSpacingUs + std::llround(t * 1e6);
  const uint64_t frame_seed = hash_combine(scene_world.seed, static_cast<uint64_t>(frame.row_in_scene));
  frame.token = hex_token(mix64(frame_seed), mix64(frame_seed + 1));

  Stopwatch watch;
  const Snapshot snapshot(scene_world, t, rig_.ego_height_m, kSnapshotRangeM);
  frame.world_from_ego = scene_world.world_from_layout * snapshot.layout_from_ego();
  seconds_.scene += watch.lap();

  voxelize(snapshot, scene_world, rig_, grid_, frame.occupancy);
  seconds_.occupancy += watch.lap();
  compute_masks(rig_, cameras_, grid_, snapshot.ground_z(), frame.occupancy);
  seconds_.masks += watch.lap();

  const size_t pixels = static_cast<size_t>(height_) * static_cast<size_t>(width_);
  const size_t cameras = cameras_.size();
  frame.image.resize(cameras * pixels * 3);
  frame.depth.resize(cameras * pixels);
  frame.pixel_semantics.resize(cameras * pixels);
  frame.pixel_instance.resize(cameras * pixels);
  for (size_t c = 0; c < cameras; ++c) {
    const CameraOutput out{frame.image.data() + c * pixels * 3, frame.depth.data() + c * pixels,
                           frame.pixel_semantics.data() + c * pixels,
                           frame.pixel_instance.data() + c * pixels};
    render_camera(snapshot, scene_world, rig_, cameras_[c], hash_combine(frame_seed, c), out);
  }
  seconds_.rendering += watch.lap();

  frame.lidar_points = scan_lidar(snapshot, scene_world, rig_.lidar);
  seconds_.lidar += watch.lap();

  // Boxes of things whose centre lies inside the grid's xy extent.
  const geom::Vec3 lower = grid_.lower_corner(), upper = grid_.upper_corner();
  for (const auto& object : snapshot.objects()) {
    const auto& c = object.centre;
    if (c.x < lower.x || c.x >= upper.x || c.y < lower.y || c.y >= upper.y) continue;
    BoxRecord box;
    box.centre = c;
    box.width = float(object.width);
    box.length = float(object.length);
    box.height = float(object.height);
    box.yaw = object.yaw;
    box.class_id = rig_.class_of(object.kind);
    box.instance = object.instance;
    box.velocity_x = float(object.velocity.x);
    box.velocity_y = float(object.velocity.y);
    frame.boxes.push_back(box);
  }
  return frame;
}

nlohmann::json SynthGenerator::resolved_options() const {
  nlohmann::json json = options_.to_json();
  json["image_size"] = std::to_string(height_) + "x" + std::to_string(width_);
  json["grid_shape"] = {grid_.shape[0], grid_.shape[1], grid_.shape[2]};
  return json;
}

}  // namespace occ::synth
