#include "train/keyframe_history.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"
#include "geom/rigid.h"
#include "h5/dataset.h"

namespace occ::train {

KeyframeHistory::KeyframeHistory(const FramesFile& frames, bool camera_poses)
    : path_(frames.path()),
      is_keyframe_(h5::read<uint8_t>(frames.file(), "/frames/is_keyframe").values),
      world_from_ego_(h5::read<double>(frames.file(), "/frames/world_from_ego").values),
      cameras_(frames.camera_count()) {
  prev_.reserve(static_cast<size_t>(frames.frame_count()));
  next_.reserve(static_cast<size_t>(frames.frame_count()));
  for (int64_t row = 0; row < frames.frame_count(); ++row) {
    prev_.push_back(frames.prev(row));
    next_.push_back(frames.next(row));
  }
  if (camera_poses && frames.has("/cameras/world_from_ego"))
    camera_world_from_ego_ = h5::read<double>(frames.file(), "/cameras/world_from_ego").values;
}

int64_t KeyframeHistory::follow(int64_t row, int count, const std::vector<int32_t>& links,
                                const char* name) const {
  const auto frames = static_cast<int64_t>(links.size());
  const int64_t start = row;
  // A chain longer than the file has frames must loop somewhere.
  int64_t hops = 0;
  for (int found = 0; found < count; ++found) {
    do {
      row = links.at(static_cast<size_t>(row));
      if (row < 0) return -1;
      if (row >= frames || ++hops > frames) {
        throw FormatError(str(quoted(path_), ": the /frames/", name, " links from frame ", start,
                              " leave the file or loop"));
      }
    } while (is_keyframe_.at(static_cast<size_t>(row)) != 1);
  }
  return row;
}

int64_t KeyframeHistory::keyframe_before(int64_t row, int count) const {
  return follow(row, count, prev_, "prev");
}

int64_t KeyframeHistory::keyframe_after(int64_t row, int count) const {
  return follow(row, count, next_, "next");
}

int64_t KeyframeHistory::keyframe_at(int64_t row, int offset) const {
  return offset < 0 ? keyframe_before(row, -offset) : keyframe_after(row, offset);
}

std::vector<int64_t> KeyframeHistory::keyframes_within(int64_t row, double max_distance_m) const {
  std::vector<int64_t> rows;
  double path = 0;
  for (int64_t later = row, earlier = keyframe_before(row, 1); earlier >= 0;
       later = earlier, earlier = keyframe_before(earlier, 1)) {
    const double* a = world_from_ego_.data() + static_cast<size_t>(later) * 16;
    const double* b = world_from_ego_.data() + static_cast<size_t>(earlier) * 16;
    path += std::hypot(a[3] - b[3], a[7] - b[7]);
    if (!rows.empty() && path > max_distance_m) break;
    rows.push_back(earlier);
    if (rows.size() > prev_.size()) break;  // follow() has already refused a loop
  }
  return rows;
}

Matrix4 KeyframeHistory::history_from_current(int64_t current, int64_t history) const {
  const auto pose = [this](int64_t row) {
    return geom::Rigid::from_matrix(world_from_ego_.data() + static_cast<size_t>(row) * 16);
  };
  Matrix4 matrix{};
  (pose(history).inverse() * pose(current)).to_matrix(matrix.data());
  return matrix;
}

Matrix4 KeyframeHistory::capture_from_current(int64_t current, int64_t target, int64_t camera) const {
  const double* capture =
      camera_world_from_ego_.empty()
          ? world_from_ego_.data() + static_cast<size_t>(target) * 16
          : camera_world_from_ego_.data() + static_cast<size_t>(target * cameras_ + camera) * 16;
  const geom::Rigid world_from_capture = geom::Rigid::from_matrix(capture);
  const geom::Rigid world_from_current =
      geom::Rigid::from_matrix(world_from_ego_.data() + static_cast<size_t>(current) * 16);
  Matrix4 matrix{};
  (world_from_capture.inverse() * world_from_current).to_matrix(matrix.data());
  return matrix;
}

}  // namespace occ::train
