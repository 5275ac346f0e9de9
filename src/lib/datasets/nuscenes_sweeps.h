#pragma once
// Matching the cameras of nuScenes sweeps (`occ prep nuscenes --sweeps`):
// every non-key sample_data of the reference camera (the first of the rig,
// CAM_FRONT) becomes one frame, and every other camera contributes its
// non-key sample_data nearest in time between the same two keyframes, or,
// when it has none there, its nearest sample_data of any kind in the scene.
// The cameras of a nuScenes sweep are not triggered together (each runs at
// ~12 Hz on its own clock), so "nearest in time" is the devkit's notion of
// the same moment; staying between the same keyframes keeps a sweep from
// borrowing an image of the next annotated interval.
#include <cstdint>
#include <vector>

#include "datasets/nuscenes_tables.h"

namespace occ::datasets {

class SceneSweeps {
 public:
  static constexpr long kNone = -1;

  struct Sweep {
    long gap = 0;  // i: keyframe i <= time < keyframe i+1; -1 before the first keyframe
    std::vector<long>
        cameras;  // sample_data index per camera (reference first); kNone where a camera has none
  };

  // `keyframe_times`: the scene's sample timestamps, ascending.
  SceneSweeps(const std::vector<NuScenesSampleData>& sample_data, std::vector<int64_t> keyframe_times,
              size_t cameras);

  // Adds one camera sample_data (key or not) of the scene.
  void add(size_t camera, size_t sample_data_index);
  // One sweep per non-key record of camera 0, in time order.
  std::vector<Sweep> sweeps();

 private:
  long gap_of(int64_t timestamp_us) const;
  size_t first_not_before(const std::vector<size_t>& list, int64_t timestamp_us) const;
  long nearest(const std::vector<size_t>& list, int64_t timestamp_us, long gap, bool same_gap) const;

  const std::vector<NuScenesSampleData>& sample_data_;
  std::vector<int64_t> keyframe_times_;
  std::vector<std::vector<size_t>> non_key_, any_kind_;  // per camera
};

}  // namespace occ::datasets
