// The image-blind layer prior (occ predict --layer-prior) on hand-counted
// grids, and through files: what it writes is a valid predictions file.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "datasets/pred_file.h"
#include "metrics/layer_prior.h"
#include "support/frames_builder.h"
#include "support/temp_dir.h"

namespace occ::metrics {
namespace {

// A 2x1x3 grid: C-order voxel i lies in layer i % 3.
const std::array<int64_t, 3> kShape{2, 1, 3};
constexpr int kClasses = 18;
constexpr int kFree = 17;

TEST(LayerPrior, MostFrequentClassPerLayerOverObservedVoxels) {
  LayerClassCounts counts(kShape, kClasses);
  // Frame A, all observed: layer 0 {11, 14}, layer 1 {4, 4}, layer 2 {17, 17}.
  const std::vector<uint8_t> a = {11, 4, 17, 14, 4, 17};
  counts.add(a.data(), nullptr, "frame A");
  // Frame B: layer 0 {14, 14}, layer 1 {15, ignored 255}, layer 2 {17, 17 unobserved}.
  const std::vector<uint8_t> b = {14, 15, 17, 14, 255, 17};
  const std::vector<uint8_t> mask = {1, 1, 1, 1, 1, 0};
  counts.add(b.data(), mask.data(), "frame B");
  EXPECT_EQ(counts.count(0, 11), 1);
  EXPECT_EQ(counts.count(0, 14), 3);
  EXPECT_EQ(counts.count(1, 4), 2);
  EXPECT_EQ(counts.count(1, 15), 1);
  EXPECT_EQ(counts.count(2, 17), 3);
  EXPECT_EQ(counts.most_frequent(kFree), (std::vector<uint8_t>{14, 4, 17}));
  EXPECT_EQ(fill_layers(kShape, {14, 4, 17}), (std::vector<uint8_t>{14, 4, 17, 14, 4, 17}));
}

TEST(LayerPrior, TiesGoToTheLowestIdAndEmptyLayersToFree) {
  LayerClassCounts counts(kShape, kClasses);
  // Layer 0 {13, 2}: a tie; layer 1 unobserved; layer 2 {16}, {unobserved}.
  const std::vector<uint8_t> grid = {13, 5, 16, 2, 5, 9};
  const std::vector<uint8_t> mask = {1, 0, 1, 1, 0, 0};
  counts.add(grid.data(), mask.data(), "frame");
  EXPECT_EQ(counts.most_frequent(kFree), (std::vector<uint8_t>{2, kFree, 16}));
}

TEST(LayerPrior, ClassIdBeyondTheClassesIsAnErrorNamingWhere) {
  LayerClassCounts counts(kShape, kClasses);
  const std::vector<uint8_t> grid = {1, 2, 3, 20, 0, 0};
  try {
    counts.add(grid.data(), nullptr, "'train.h5' row 7");
    FAIL() << "no error";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("'train.h5' row 7: class id 20 at voxel 3"), std::string::npos)
        << error.what();
  }
}

test::TestFrames tiny_frames(int frames, const std::vector<std::vector<uint8_t>>& occupancy) {
  test::TestFrames data;
  data.frames = frames;
  data.cameras = 1;
  data.grid_shape = kShape;
  for (int i = 0; i < frames; ++i) data.images.push_back(cv::Mat(8, 12, CV_8UC3, cv::Scalar(10, 20, 30)));
  data.intrinsics = {test::Mat3{10, 0, 6, 0, 10, 4, 0, 0, 1}};
  data.occupancy = occupancy;
  data.mask_camera.assign(static_cast<size_t>(frames), std::vector<uint8_t>(6, 1));
  return data;
}

TEST(LayerPrior, WritesAPredictionsFileOfEveryKeyframe) {
  test::TempDir dir;
  const std::string train = dir.file("train.h5"), val = dir.file("val.h5"), out = dir.file("prior.pred.h5");
  test::TestFrames train_data = tiny_frames(2, {{11, 4, 17, 14, 4, 17}, {14, 15, 17, 14, 4, 17}});
  train_data.mask_camera[1] = {1, 1, 1, 1, 0, 0};  // layer 1 of frame 1: {15} observed, 4 not
  test::write_test_frames(train, train_data);
  test::TestFrames val_data = tiny_frames(3, {{0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1}, {2, 2, 2, 2, 2, 2}});
  val_data.keyframe = {1, 0, 1};
  test::write_test_frames(val, val_data);

  // Layer 0: 11 x1, 14 x3; layer 1: 4 x2, 15 x1; layer 2: free x3.
  EXPECT_EQ(layer_prior_of_frames(train), (std::vector<uint8_t>{14, 4, 17}));
  EXPECT_EQ(write_layer_prior_predictions(train, val, out, {{"test", true}}), 2);
  const PredFile pred(out);
  ASSERT_EQ(pred.frame_count(), 2);
  EXPECT_EQ(pred.frames_row(0), 0);
  EXPECT_EQ(pred.frames_row(1), 2);
  for (int64_t i = 0; i < 2; ++i) EXPECT_EQ(pred.semantics(i), (std::vector<uint8_t>{14, 4, 17, 14, 4, 17}));
}

TEST(LayerPrior, ClassCountsSumTheLayersOfTheObservedVoxelsOfTheGivenRows) {
  LayerClassCounts counts(kShape, kClasses);
  const std::vector<uint8_t> grid = {11, 4, 17, 14, 4, 255};
  counts.add(grid.data(), nullptr, "frame");
  std::vector<int64_t> expected(kClasses, 0);
  expected[4] = 2;
  expected[11] = 1;
  expected[14] = 1;
  expected[17] = 1;  // 255 is not a class
  EXPECT_EQ(counts.totals(), expected);

  test::TempDir dir;
  const std::string train = dir.file("train.h5");
  test::TestFrames data =
      tiny_frames(3, {{11, 4, 17, 14, 4, 17}, {14, 15, 17, 14, 4, 17}, {1, 1, 1, 1, 1, 1}});
  data.mask_camera[1] = {1, 1, 1, 1, 0, 0};  // frame 1: 4 and one 17 unobserved
  test::write_test_frames(train, data);
  // Rows 0 and 1 only (row 2's class 1 is left out): 4 x2, 11, 14 x3, 15, 17 x3.
  expected.assign(kClasses, 0);
  expected[4] = 2;
  expected[11] = 1;
  expected[14] = 3;
  expected[15] = 1;
  expected[17] = 3;
  EXPECT_EQ(class_counts_of_frames(train, {0, 1}), expected);
  EXPECT_THROW(class_counts_of_frames(train, {3}), UsageError);
}

TEST(LayerPrior, RefusesAnotherGridAndFilesWithoutOccupancy) {
  test::TempDir dir;
  const std::string train = dir.file("train.h5"), other = dir.file("other.h5"), bare = dir.file("bare.h5");
  test::write_test_frames(train, tiny_frames(1, {{0, 0, 0, 0, 0, 0}}));
  test::TestFrames wide = tiny_frames(1, {std::vector<uint8_t>(12, 0)});
  wide.mask_camera = {std::vector<uint8_t>(12, 1)};
  wide.grid_shape = {4, 1, 3};
  test::write_test_frames(other, wide);
  test::TestFrames no_occupancy = tiny_frames(1, {});
  no_occupancy.mask_camera.clear();
  test::write_test_frames(bare, no_occupancy);

  EXPECT_THROW(write_layer_prior_predictions(train, other, dir.file("a.h5"), {}), UsageError);
  EXPECT_THROW(layer_prior_of_frames(bare), FormatError);
  EXPECT_THROW(class_counts_of_frames(bare, {0}), FormatError);
  EXPECT_EQ(dir.entries().size(), 3u);  // no partial output
}

}  // namespace
}  // namespace occ::metrics
