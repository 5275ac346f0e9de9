#pragma once
// Options of `occ prep synth`, validated before anything is written.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "geom/voxel_grid.h"

namespace occ::synth {

struct Rig;

struct SynthOptions {
  std::string output;         // frames file to write
  int scenes = 2;             // independent worlds
  int frames_per_scene = 20;  // keyframes per scene
  uint64_t seed = 0;          // same seed and options: the same data
  std::string rig = "nuscenes";
  std::string image_size;  // "HxW"; empty: the rig's default (nuscenes 96x176, kitti 96x320)
  double fps = 2.0;        // keyframe rate (nuScenes annotates at 2 Hz)
  int sweeps = 0;          // unannotated frames between consecutive keyframes
  std::string grid;        // "occ3d", "semantickitti" or "X,Y,Z,VOXEL,OX,OY,OZ"; empty: the rig's grid
  std::string compression = "deflate";

  // Throws UsageError naming the option for nonsense values.
  void validate() const;
  nlohmann::json to_json() const;
};

// Parses "96x176" into height and width; throws UsageError.
void parse_image_size(const std::string& text, int& height, int& width);
// The grid an options' --grid names for a rig; throws UsageError.
geom::VoxelGrid parse_grid(const std::string& text, const Rig& rig);

}  // namespace occ::synth
