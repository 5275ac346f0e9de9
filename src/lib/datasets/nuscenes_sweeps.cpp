#include "datasets/nuscenes_sweeps.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace occ::datasets {

SceneSweeps::SceneSweeps(const std::vector<NuScenesSampleData>& sample_data,
                         std::vector<int64_t> keyframe_times, size_t cameras)
    : sample_data_(sample_data),
      keyframe_times_(std::move(keyframe_times)),
      non_key_(cameras),
      any_kind_(cameras) {}

void SceneSweeps::add(size_t camera, size_t sample_data_index) {
  any_kind_.at(camera).push_back(sample_data_index);
  if (!sample_data_[sample_data_index].is_key_frame) non_key_.at(camera).push_back(sample_data_index);
}

long SceneSweeps::gap_of(int64_t timestamp_us) const {
  return long(std::upper_bound(keyframe_times_.begin(), keyframe_times_.end(), timestamp_us) -
              keyframe_times_.begin()) -
         1;
}

size_t SceneSweeps::first_not_before(const std::vector<size_t>& list, int64_t timestamp_us) const {
  return size_t(std::partition_point(list.begin(), list.end(),
                                     [&](size_t i) { return sample_data_[i].timestamp_us < timestamp_us; }) -
                list.begin());
}

// A keyframe gap is a contiguous run of a list in time order, so the nearest
// record (in the gap or anywhere) is one of the two around the time.
long SceneSweeps::nearest(const std::vector<size_t>& list, int64_t timestamp_us, long gap,
                          bool same_gap) const {
  long best = kNone;
  int64_t best_distance = 0;
  const size_t at = first_not_before(list, timestamp_us);
  for (const size_t candidate : {at - 1, at}) {  // at - 1 wraps past the end at 0
    if (candidate >= list.size()) continue;
    const int64_t time = sample_data_[list[candidate]].timestamp_us;
    if (same_gap && gap_of(time) != gap) continue;
    const int64_t distance = std::abs(time - timestamp_us);
    if (best == kNone || distance < best_distance) best = long(list[candidate]), best_distance = distance;
  }
  return best;
}

std::vector<SceneSweeps::Sweep> SceneSweeps::sweeps() {
  // Time order, ties by token so the result does not depend on table order.
  auto earlier = [&](size_t a, size_t b) {
    const auto &da = sample_data_[a], &db = sample_data_[b];
    return da.timestamp_us != db.timestamp_us ? da.timestamp_us < db.timestamp_us : da.token < db.token;
  };
  for (auto& list : non_key_) std::sort(list.begin(), list.end(), earlier);
  for (auto& list : any_kind_) std::sort(list.begin(), list.end(), earlier);
  std::vector<Sweep> sweeps;
  if (non_key_.empty()) return sweeps;
  for (const size_t reference : non_key_.front()) {
    const int64_t time = sample_data_[reference].timestamp_us;
    Sweep sweep;
    sweep.gap = gap_of(time);
    sweep.cameras.push_back(long(reference));
    for (size_t c = 1; c < non_key_.size(); ++c) {
      long match = nearest(non_key_[c], time, sweep.gap, true);
      if (match == kNone) match = nearest(any_kind_[c], time, sweep.gap, false);
      sweep.cameras.push_back(match);
    }
    sweeps.push_back(std::move(sweep));
  }
  return sweeps;
}

}  // namespace occ::datasets
