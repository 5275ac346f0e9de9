#pragma once
// `occ prep nuscenes`: nuScenes v1.0 (or Lyft Level5) tables, images, LiDAR
// and Occ3D / OpenOcc labels into a frames file (data/schemas/frames.json).
// One row per keyframe (sample) with the six cameras, and with `sweeps` one
// more row per non-key CAM_FRONT image (is_keyframe 0, no labels or boxes);
// every path and token is checked before the output is created, so bad
// input leaves no file.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace occ::datasets {

struct NuScenesPrepOptions {
  std::string dataroot;                   // holds <version>/, samples/, sweeps/
  std::string version = "v1.0-trainval";  // v1.0-trainval|mini|test, Lyft v1.01-train|test
  std::string output;                     // frames file to write
  std::string occ3d;                      // Occ3D gts folder (<scene>/<token>/labels.npz); empty: none
  std::string openocc;                 // OpenOcc folder (<scene>/<token>/labels.npz with flow); empty: none
  bool sweeps = false;                 // add rows for the non-key camera frames between keyframes
  std::string split;                   // official scene split; empty: every scene
  std::vector<std::string> scenes;     // scene names; empty: every scene (of the split)
  bool lidar_points = false;           // store LiDAR points (ego frame)
  bool embed_images = false;           // store resized RGB instead of paths
  std::string image_size = "256x704";  // HxW of embedded images (BEVDet/FlashOcc input size)
  std::string compression = "deflate";
  std::string shard;  // "I/N": the I-th of N contiguous runs of the selected scenes; empty: all

  // Throws UsageError naming the option.
  void validate() const;
  nlohmann::json to_json() const;
};

struct NuScenesPrepReport {
  int64_t frames = 0;
  int64_t sweeps = 0;  // of the frames, the non-key ones
  int64_t scenes = 0;
  int64_t lidar_points = 0;
  int64_t boxes = 0;
  double seconds = 0;
};

NuScenesPrepReport prep_nuscenes(const NuScenesPrepOptions& options);

// Parses --shard "I/N" (0 <= I < N); throws UsageError.
void parse_shard(const std::string& text, int& index, int& count);

// Versions whose folder layout occ knows.
const std::vector<std::string>& nuscenes_versions();
// The six nuScenes cameras in storage order (the order of occ prep synth).
const std::vector<std::string>& nuscenes_camera_names();

}  // namespace occ::datasets
