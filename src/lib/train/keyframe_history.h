#pragma once
// The keyframes around a frame in its scene and the ego motion to them: the
// history of temporal models (Batch::history_*) and the neighbours of
// self-supervised ones (Batch::neighbour_*), following the scene's prev and
// next links over keyframes only.
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/frames_file.h"

namespace occ::train {

class KeyframeHistory {
 public:
  // Reads /frames/is_keyframe, prev/next links and /frames/world_from_ego
  // (small: a flag, two links and one 4x4 matrix per frame), and with
  // `camera_poses` also /cameras/world_from_ego when the file has it.
  explicit KeyframeHistory(const FramesFile& frames, bool camera_poses = false);

  // The keyframe `count` keyframes before `row` in its scene, following
  // /frames/prev and skipping sweeps (is_keyframe = 0); -1 when the scene
  // starts sooner. count = 0 gives `row`. Throws FormatError naming the file
  // when the prev links loop.
  int64_t keyframe_before(int64_t row, int count) const;
  // The same after `row`, following /frames/next.
  int64_t keyframe_after(int64_t row, int count) const;
  // keyframe_before(row, -offset) for negative offsets, keyframe_after for
  // positive ones.
  int64_t keyframe_at(int64_t row, int offset) const;
  // The earlier keyframes of `row`'s scene whose path to `row` (the summed
  // horizontal ego translations between consecutive keyframes, as SelfOcc's
  // KITTI loader measures it) is at most `max_distance_m`, nearest first.
  // The previous keyframe is always one (a frame never loses its source);
  // empty at a scene start.
  std::vector<int64_t> keyframes_within(int64_t row, double max_distance_m) const;

  // Maps a point of the ego frame of `current` into the ego frame of
  // `history`: inverse(world_from_ego[history]) * world_from_ego[current],
  // in double (row-major 4x4).
  Matrix4 history_from_current(int64_t current, int64_t history) const;
  // Maps a point of the ego frame of `current` into the ego frame in which
  // `camera` of frame `target` was captured (/cameras/world_from_ego of that
  // camera when the file has it and camera poses were asked for, else
  // /frames/world_from_ego of `target`), in double.
  Matrix4 capture_from_current(int64_t current, int64_t target, int64_t camera) const;

 private:
  int64_t follow(int64_t row, int count, const std::vector<int32_t>& links, const char* name) const;

  std::string path_;
  std::vector<int32_t> prev_, next_;
  std::vector<uint8_t> is_keyframe_;
  std::vector<double> world_from_ego_;         // 16 per frame
  std::vector<double> camera_world_from_ego_;  // 16 per frame and camera, or empty
  int64_t cameras_ = 0;
};

}  // namespace occ::train
