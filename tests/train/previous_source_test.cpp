// The previous source of self-supervised kinds on the KITTI rig (Let Occ
// Flow's model.source_max_distance_m): drawn per sample among the earlier
// keyframes within that many metres of path, the previous keyframe always
// among them.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "datasets/frames_file.h"
#include "support/frames_builder.h"
#include "support/temp_dir.h"
#include "train/data_loader.h"
#include "train/keyframe_history.h"

namespace occ::train {
namespace {

// Six keyframes 2 m apart along x (3 m for the last step), a sweep between rows 1 and 2.
std::string write_track(const test::TempDir& dir) {
  test::TestFrames frames;
  frames.frames = 7;
  const double x[] = {0, 2, 3, 4, 6, 8, 11};
  frames.keyframe = {1, 1, 0, 1, 1, 1, 1};
  for (int i = 0; i < frames.frames; ++i) {
    frames.images.push_back(cv::Mat(8, 8, CV_8UC3, cv::Scalar(i * 30, 0, 0)));
    test::Mat4 pose = test::identity4();
    pose[3] = x[i];
    frames.world_from_ego.push_back(pose);
  }
  frames.intrinsics = {{8, 0, 4, 0, 8, 4, 0, 0, 1}};
  const std::string path = dir.file("track.h5");
  test::write_test_frames(path, frames);
  return path;
}

TEST(PreviousSource, EarlierKeyframesWithinThePathLengthNearestFirst) {
  test::TempDir dir;
  const FramesFile frames(write_track(dir));
  const KeyframeHistory history(frames);
  // From row 6 (x 11): row 5 at 3 m, row 4 at 5 m, row 3 at 7 m of path.
  EXPECT_EQ(history.keyframes_within(6, 6.0), (std::vector<int64_t>{5, 4}));
  EXPECT_EQ(history.keyframes_within(6, 7.0), (std::vector<int64_t>{5, 4, 3}));
  // The path runs over keyframes (row 2 is a sweep): row 4 -> 3 -> 1 -> 0.
  EXPECT_EQ(history.keyframes_within(4, 100.0), (std::vector<int64_t>{3, 1, 0}));
  // The previous keyframe even when it lies farther.
  EXPECT_EQ(history.keyframes_within(6, 1.0), (std::vector<int64_t>{5}));
  EXPECT_TRUE(history.keyframes_within(0, 6.0).empty());
}

TEST(PreviousSource, TheLoaderDrawsThePreviousSourceAmongThemPerSample) {
  test::TempDir dir;
  const std::string path = write_track(dir);
  LoaderOptions options;
  options.batch_size = 1;
  options.workers = 0;
  options.shuffle = false;
  options.with_targets = false;  // self-supervised: no occupancy
  options.neighbour_offsets = {-1, 1};
  options.colour_images = true;
  options.previous_source_max_distance_m = 6.0;
  BatchLoader loader(path, {6}, ImageOptions{}, options);
  // The ego motion to the drawn source tells which row it is: the current
  // origin (x 11) lies 3 m ahead of row 5 (x 8), 5 m ahead of row 4 (x 6).
  std::set<int> seen;
  for (int draw = 0; draw < 24; ++draw) {
    const models::Batch batch = *loader.next();
    ASSERT_TRUE(batch.neighbour_valid[0][0].item<bool>());
    const double back = batch.neighbour_from_current[0][0][0][0][3].item<double>();
    EXPECT_TRUE(std::abs(back - 3.0) < 1e-5 || std::abs(back - 5.0) < 1e-5) << back;
    seen.insert(static_cast<int>(std::lround(back)));
    // The next source stays the next keyframe (row 6 has none).
    EXPECT_FALSE(batch.neighbour_valid[0][1].item<bool>());
  }
  EXPECT_EQ(seen, (std::set<int>{3, 5})) << "24 draws never picked one of the two sources";
  // Without the key: always the previous keyframe.
  options.previous_source_max_distance_m = 0;
  BatchLoader plain(path, {6}, ImageOptions{}, options);
  for (int draw = 0; draw < 4; ++draw)
    EXPECT_NEAR(plain.next()->neighbour_from_current[0][0][0][0][3].item<double>(), 3.0, 1e-5);
}

}  // namespace
}  // namespace occ::train
