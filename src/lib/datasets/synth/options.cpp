#include "datasets/synth/options.h"

#include <cmath>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/synth/rig.h"
#include "h5/dataset.h"

namespace occ::synth {
namespace {

constexpr int kMaxScenes = 10000;
constexpr int kMaxFramesPerScene = 10000;
constexpr int kMaxSweeps = 20;
constexpr int64_t kMaxVoxels = 64LL * 1024 * 1024;

bool parse_int(const std::string& text, int& value) {
  if (text.empty() || text.size() > 9) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  value = std::stoi(text);
  return true;
}

}  // namespace

void parse_image_size(const std::string& text, int& height, int& width) {
  const auto x = text.find('x');
  if (x == std::string::npos || !parse_int(text.substr(0, x), height) ||
      !parse_int(text.substr(x + 1), width)) {
    throw UsageError(str("--image-size ", quoted(text), " is not HxW (for example 96x176)"));
  }
}

geom::VoxelGrid parse_grid(const std::string& text, const Rig& rig) {
  if (text.empty()) return rig.grid;
  if (text == "occ3d") return geom::VoxelGrid::occ3d_nuscenes();
  if (text == "semantickitti") return geom::VoxelGrid::semantickitti();
  std::vector<double> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      values.push_back(std::stod(item, &used));
      if (used != item.size()) values.clear();
    } catch (const std::exception&) {
      values.clear();
    }
    if (values.empty()) break;
  }
  if (values.size() != 7) {
    throw UsageError(str("--grid ", quoted(text), " is not occ3d, semantickitti or X,Y,Z,VOXEL,OX,OY,OZ"));
  }
  geom::VoxelGrid grid;
  for (int a = 0; a < 3; ++a) {
    const double n = values[static_cast<size_t>(a)];
    if (n < 1 || n > 4096 || n != std::floor(n)) {
      throw UsageError(str("--grid ", quoted(text), ": voxel counts must be whole numbers from 1 to 4096"));
    }
    grid.shape[static_cast<size_t>(a)] = static_cast<int>(n);
    grid.voxel_size_m[static_cast<size_t>(a)] = values[3];
    grid.origin_m[static_cast<size_t>(a)] = values[static_cast<size_t>(4 + a)];
  }
  if (!(values[3] >= 0.01 && values[3] <= 10.0)) {
    throw UsageError(str("--grid ", quoted(text), ": the voxel size must be between 0.01 and 10 m"));
  }
  if (grid.count() > kMaxVoxels) {
    throw UsageError(str("--grid ", quoted(text), " has ", grid.count(), " voxels, more than ", kMaxVoxels));
  }
  return grid;
}

void SynthOptions::validate() const {
  if (output.empty()) throw UsageError("no output file given (-o FILE)");
  if (scenes < 1 || scenes > kMaxScenes)
    throw UsageError(str("--scenes must be from 1 to ", kMaxScenes, ", got ", scenes));
  if (frames_per_scene < 1 || frames_per_scene > kMaxFramesPerScene) {
    throw UsageError(
        str("--frames-per-scene must be from 1 to ", kMaxFramesPerScene, ", got ", frames_per_scene));
  }
  if (!(fps >= 0.1 && fps <= 100.0)) throw UsageError(str("--fps must be from 0.1 to 100, got ", fps));
  if (sweeps < 0 || sweeps > kMaxSweeps)
    throw UsageError(str("--sweeps must be from 0 to ", kMaxSweeps, ", got ", sweeps));
  const Rig chosen = rig_by_name(rig);
  if (!image_size.empty()) {
    int height = 0, width = 0;
    parse_image_size(image_size, height, width);
    if (height < 8 || width < 8 || height > chosen.native_height || width > chosen.native_width) {
      throw UsageError(str("--image-size ", image_size, " is outside 8x8 to ", chosen.native_height, "x",
                           chosen.native_width, " (the ", rig, " cameras' own size)"));
    }
  }
  parse_grid(grid, chosen);
  h5::Compression::parse(compression);
}

nlohmann::json SynthOptions::to_json() const {
  return {{"scenes", scenes},
          {"frames_per_scene", frames_per_scene},
          {"seed", seed},
          {"rig", rig},
          {"image_size", image_size},
          {"fps", fps},
          {"sweeps", sweeps},
          {"grid", grid},
          {"compression", compression}};
}

}  // namespace occ::synth
