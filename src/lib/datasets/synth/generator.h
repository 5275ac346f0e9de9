#pragma once
// Frame by frame production of the synthetic dataset: builds each scene's
// world once, then for every frame the snapshot, occupancy, masks, camera
// images, LiDAR sweep and boxes. Memory holds one frame at a time.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "datasets/synth/occupancy.h"
#include "datasets/synth/options.h"
#include "datasets/synth/rig.h"
#include "datasets/synth/world.h"

namespace occ::synth {

// Wall-clock seconds spent in each stage, summed over frames.
struct StageSeconds {
  double scene = 0, occupancy = 0, masks = 0, rendering = 0, lidar = 0, writing = 0;
};

struct BoxRecord {
  geom::Vec3 centre;  // ego frame
  float width = 0, length = 0, height = 0;
  double yaw = 0;  // ego frame
  uint8_t class_id = 0;
  int32_t instance = 0;
  float velocity_x = 0, velocity_y = 0;  // world velocity in the ego frame
};

struct SynthFrame {
  int scene = 0;
  int row_in_scene = 0;
  bool keyframe = true;
  int64_t timestamp_us = 0;
  std::string token;
  geom::Rigid world_from_ego;
  std::vector<uint8_t> image;            // C*H*W*3
  std::vector<float> depth;              // C*H*W
  std::vector<uint8_t> pixel_semantics;  // C*H*W
  std::vector<int32_t> pixel_instance;   // C*H*W
  std::vector<float> lidar_points;       // P*4
  OccupancyFrame occupancy;
  std::vector<BoxRecord> boxes;
};

class SynthGenerator {
 public:
  // `options` must have passed validate().
  explicit SynthGenerator(const SynthOptions& options);

  const Rig& rig() const { return rig_; }
  const std::vector<geom::PinholeCamera>& cameras() const { return cameras_; }
  const geom::VoxelGrid& grid() const { return grid_; }
  int image_height() const { return height_; }
  int image_width() const { return width_; }
  int scenes() const { return options_.scenes; }
  int rows_per_scene() const { return rows_per_scene_; }
  int64_t frame_count() const { return int64_t(rows_per_scene_) * options_.scenes; }
  // Seconds from the scene's first frame to row `row_in_scene`.
  double frame_time(int row_in_scene) const;
  bool is_keyframe(int row_in_scene) const { return row_in_scene % (options_.sweeps + 1) == 0; }

  const World& world(int scene);
  SynthFrame frame(int64_t row);
  const StageSeconds& seconds() const { return seconds_; }
  StageSeconds& seconds() { return seconds_; }
  // The options with the rig's defaults filled in, for provenance.
  nlohmann::json resolved_options() const;

 private:
  SynthOptions options_;
  Rig rig_;
  geom::VoxelGrid grid_;
  int height_ = 0, width_ = 0;
  std::vector<geom::PinholeCamera> cameras_;
  int rows_per_scene_ = 0;
  int world_scene_ = -1;
  std::unique_ptr<World> world_;
  StageSeconds seconds_;
};

std::string scene_name(uint64_t seed, int scene);

}  // namespace occ::synth
