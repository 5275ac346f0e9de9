#pragma once
// Earlier keyframes of a frame's scene and the ego motion to them, for
// temporal models (Batch::history_*): BEVFormer-style history that follows
// the scene's prev links over keyframes only.
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/frames_file.h"

namespace occ::train {

class KeyframeHistory {
 public:
  // Reads /frames/is_keyframe and /frames/world_from_ego (small: one flag and
  // one 4x4 matrix per frame).
  explicit KeyframeHistory(const FramesFile& frames);

  // The keyframe `count` keyframes before `row` in its scene, following
  // /frames/prev and skipping sweeps (is_keyframe = 0); -1 when the scene
  // starts sooner. count = 0 gives `row`. Throws FormatError naming the file
  // when the prev links loop.
  int64_t keyframe_before(int64_t row, int count) const;

  // Maps a point of the ego frame of `current` into the ego frame of
  // `history`: inverse(world_from_ego[history]) * world_from_ego[current],
  // in double (row-major 4x4).
  Matrix4 history_from_current(int64_t current, int64_t history) const;

 private:
  std::string path_;
  std::vector<int32_t> prev_;
  std::vector<uint8_t> is_keyframe_;
  std::vector<double> world_from_ego_;  // 16 per frame
};

}  // namespace occ::train
