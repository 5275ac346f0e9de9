#include "train/keyframe_history.h"

#include "core/error.h"
#include "core/strings.h"
#include "geom/rigid.h"
#include "h5/dataset.h"

namespace occ::train {

KeyframeHistory::KeyframeHistory(const FramesFile& frames)
    : path_(frames.path()),
      is_keyframe_(h5::read<uint8_t>(frames.file(), "/frames/is_keyframe").values),
      world_from_ego_(h5::read<double>(frames.file(), "/frames/world_from_ego").values) {
  prev_.reserve(static_cast<size_t>(frames.frame_count()));
  for (int64_t row = 0; row < frames.frame_count(); ++row) prev_.push_back(frames.prev(row));
}

int64_t KeyframeHistory::keyframe_before(int64_t row, int count) const {
  const auto frames = static_cast<int64_t>(prev_.size());
  const int64_t start = row;
  // A chain longer than the file has frames must loop somewhere.
  int64_t hops = 0;
  for (int found = 0; found < count; ++found) {
    do {
      row = prev_.at(static_cast<size_t>(row));
      if (row < 0) return -1;
      if (row >= frames || ++hops > frames) {
        throw FormatError(
            str(quoted(path_), ": the /frames/prev links before frame ", start, " leave the file or loop"));
      }
    } while (is_keyframe_.at(static_cast<size_t>(row)) != 1);
  }
  return row;
}

Matrix4 KeyframeHistory::history_from_current(int64_t current, int64_t history) const {
  const auto pose = [this](int64_t row) {
    return geom::Rigid::from_matrix(world_from_ego_.data() + static_cast<size_t>(row) * 16);
  };
  Matrix4 matrix{};
  (pose(history).inverse() * pose(current)).to_matrix(matrix.data());
  return matrix;
}

}  // namespace occ::train
