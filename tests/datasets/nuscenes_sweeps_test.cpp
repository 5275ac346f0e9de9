// Camera matching of nuScenes sweeps on hand-made sample_data: the nearest
// non-key image between the same keyframes, the fallback to the nearest
// image of any kind, and a camera with nothing at all.
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "datasets/nuscenes_sweeps.h"

namespace occ::datasets {
namespace {

TEST(SceneSweeps, EachCameraTakesItsNearestSweepBetweenTheSameKeyframes) {
  // Keyframes at 0 and 500 us. (camera, time, keyframe) per record.
  const std::vector<std::tuple<size_t, int64_t, bool>> records = {
      {0, 0, true},    {0, 500, true},  {0, 300, false}, {0, 100, false}, {0, 200, false},
      {0, 600, false}, {0, -50, false},  // camera 0, the reference
      {1, 0, true},    {1, 500, true},  {1, 90, false},  {1, 290, false}, {1, 510, false},  // ~ in step
      {2, 0, true},    {2, 500, true},                                                      // keyframes only
      {4, 10, false},  {4, 505, false}};  // 505 is nearer to 300 than 10, but past keyframe 500
  std::vector<NuScenesSampleData> data;
  for (const auto& [camera, time, key] : records) {
    NuScenesSampleData record;
    record.token = "c" + std::to_string(camera) + "@" + std::to_string(time);
    record.timestamp_us = time;
    record.is_key_frame = key;
    data.push_back(record);
  }
  SceneSweeps scene(data, {0, 500}, 5);
  for (size_t i = 0; i < records.size(); ++i) scene.add(std::get<0>(records[i]), i);
  const auto sweeps = scene.sweeps();
  auto time = [&](long index) {
    return index == SceneSweeps::kNone ? int64_t(-999) : data[size_t(index)].timestamp_us;
  };
  ASSERT_EQ(sweeps.size(), 5u);
  // Per sweep: gap, then the time of each camera's image.
  const std::vector<std::pair<long, std::vector<int64_t>>> expected = {
      {-1, {-50, 0, 0, -999, 10}},   // before keyframe 0: no camera-1 sweep there, its keyframe 0 instead
      {0, {100, 90, 0, -999, 10}},   // camera 2 has only keyframes: the nearest one
      {0, {200, 290, 0, -999, 10}},  // 290 (90 us) beats 90 (110 us)
      {0, {300, 290, 500, -999, 10}},
      {1, {600, 510, 500, -999, 505}}};
  for (size_t s = 0; s < sweeps.size(); ++s) {
    EXPECT_EQ(sweeps[s].gap, expected[s].first) << s;
    ASSERT_EQ(sweeps[s].cameras.size(), 5u);
    for (size_t c = 0; c < 5; ++c)
      EXPECT_EQ(time(sweeps[s].cameras[c]), expected[s].second[c]) << s << " " << c;
  }
}

}  // namespace
}  // namespace occ::datasets
