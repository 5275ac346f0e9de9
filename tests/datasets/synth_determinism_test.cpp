// The synthetic world depends on the seed and options only: not on the
// number of threads, not on which frames were generated before.
#include <gtest/gtest.h>

#include "core/threads.h"
#include "datasets/synth_support.h"

namespace occ::synth {
namespace {

void expect_same(const SynthFrame& a, const SynthFrame& b) {
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.timestamp_us, b.timestamp_us);
  EXPECT_EQ(a.image, b.image);
  EXPECT_EQ(a.depth, b.depth);
  EXPECT_EQ(a.pixel_semantics, b.pixel_semantics);
  EXPECT_EQ(a.pixel_instance, b.pixel_instance);
  EXPECT_EQ(a.lidar_points, b.lidar_points);
  EXPECT_EQ(a.occupancy.semantics, b.occupancy.semantics);
  EXPECT_EQ(a.occupancy.flow, b.occupancy.flow);
  EXPECT_EQ(a.occupancy.mask_camera, b.occupancy.mask_camera);
  EXPECT_EQ(a.occupancy.mask_lidar, b.occupancy.mask_lidar);
  EXPECT_EQ(a.boxes.size(), b.boxes.size());
}

TEST(SynthDeterminism, ThreadsAndFrameOrderDoNotMatter) {
  auto options = test::tiny_options();
  options.scenes = 2;
  options.frames_per_scene = 1;
  set_thread_budget(1);
  SynthGenerator one_thread(options);
  const SynthFrame first = one_thread.frame(1);
  set_thread_budget(2);
  SynthGenerator two_threads(options);
  two_threads.frame(0);  // another scene first
  const SynthFrame second = two_threads.frame(1);
  set_thread_budget(0);
  expect_same(first, second);
  // And a different scene is a different world.
  EXPECT_NE(two_threads.frame(0).image, first.image);
}

}  // namespace
}  // namespace occ::synth
