#include "labels/superpixels.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "labels/mask_quality.h"
#include "support/frames_builder.h"

namespace occ::labels {
namespace {

cv::Mat kitti_image() {
  cv::Mat bgr =
      cv::imread(std::string(OCC_FIXTURES_DIR) + "/kitti_tracking/training/image_02/0001/000010.png");
  EXPECT_FALSE(bgr.empty());
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::resize(rgb, rgb, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
  return rgb;
}

TEST(Superpixels, EveryMethodCoversEveryPixelWithCompactIds) {
  const cv::Mat image = kitti_image();
  for (const std::string method : {"seeds", "slic", "slico", "lsc"}) {
    SuperpixelOptions options;
    options.method = method;
    options.count = 200;
    const Superpixels result = segment_superpixels(image, options);
    ASSERT_EQ(result.labels.size(), image.size()) << method;
    double low = 0, high = 0;
    cv::minMaxLoc(result.labels, &low, &high);
    EXPECT_EQ(low, 0) << method;
    EXPECT_EQ(high, result.count - 1) << method << ": ids are 0..count-1";
    // Every id in 0..count-1 is used (compact numbering).
    std::vector<int> used(result.count, 0);
    for (int y = 0; y < result.labels.rows; ++y) {
      for (int x = 0; x < result.labels.cols; ++x) used[result.labels.at<int>(y, x)] = 1;
    }
    EXPECT_EQ(std::count(used.begin(), used.end(), 1), result.count) << method;
    EXPECT_GT(result.count, 60) << method;
    EXPECT_LT(result.count, 600) << method;
  }
}

TEST(Superpixels, FollowObjectBoundaries) {
  // Two flat regions split by a vertical edge: every method's boundaries
  // should find the edge (boundary recall) and no segment should straddle it much.
  cv::Mat image(96, 128, CV_8UC3, cv::Scalar(40, 80, 160));
  image(cv::Rect(64, 0, 64, 96)).setTo(cv::Scalar(220, 200, 30));
  cv::Mat truth(96, 128, CV_32S, cv::Scalar(0));
  truth(cv::Rect(64, 0, 64, 96)).setTo(cv::Scalar(1));
  for (const std::string method : {"seeds", "slic", "slico", "lsc"}) {
    SuperpixelOptions options;
    options.method = method;
    options.count = 48;
    const Superpixels result = segment_superpixels(image, options);
    const MaskQuality quality = mask_quality(result.labels, truth);
    EXPECT_GT(quality.boundary_recall, 0.9) << method;
    EXPECT_GT(quality.achievable_accuracy, 0.97) << method;
  }
}

TEST(Superpixels, OptionsAreValidated) {
  SuperpixelOptions options;
  options.validate();
  options.method = "watershed";
  EXPECT_THROW(options.validate(), UsageError);
  options = SuperpixelOptions();
  options.count = 1;
  EXPECT_THROW(options.validate(), UsageError);
  options.count = 70000;
  EXPECT_THROW(options.validate(), UsageError) << "labels are uint16";
}

TEST(Superpixels, PrototypeCountsMatchThePaper) {
  // protoocc.md: stride-8 features of 448x800 pooled in r x r cells.
  EXPECT_EQ(prototype_count(448, 800, 4), 350);
  EXPECT_EQ(prototype_count(448, 800, 8), 91);
  EXPECT_EQ(prototype_count(96, 176, 4), 3 * 6);
  EXPECT_THROW(prototype_count(448, 800, 0), UsageError);
}

TEST(MaskQuality, HandComputedCases) {
  // GT: left and right halves of a 4x4 image.
  cv::Mat truth = (cv::Mat_<int>(4, 4) << 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1);
  // Identical superpixels: perfect.
  MaskQuality same = mask_quality(truth, truth, 0);
  EXPECT_DOUBLE_EQ(same.boundary_recall, 1.0);
  EXPECT_DOUBLE_EQ(same.achievable_accuracy, 1.0);
  EXPECT_EQ(same.boundary_pixels, 4) << "column 1 has a right neighbour in another segment";
  // One superpixel: ASA = 8/16, no boundary found.
  cv::Mat one(4, 4, CV_32S, cv::Scalar(0));
  MaskQuality merged = mask_quality(one, truth, 0);
  EXPECT_DOUBLE_EQ(merged.achievable_accuracy, 0.5);
  EXPECT_DOUBLE_EQ(merged.boundary_recall, 0.0);
  // Boundary one column off: recall 0 at tolerance 0, 1 at tolerance 1.
  cv::Mat shifted = (cv::Mat_<int>(4, 4) << 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1);
  EXPECT_DOUBLE_EQ(mask_quality(shifted, truth, 0).boundary_recall, 0.0);
  EXPECT_DOUBLE_EQ(mask_quality(shifted, truth, 1).boundary_recall, 1.0);
  EXPECT_DOUBLE_EQ(mask_quality(shifted, truth, 1).achievable_accuracy, 12.0 / 16.0);
}

TEST(CompactLabels, RenumbersInFirstSeenOrder) {
  cv::Mat raw = (cv::Mat_<int>(1, 5) << 7, 7, 3, 9, 3);
  const Superpixels compact = compact_labels(raw);
  EXPECT_EQ(compact.count, 3);
  EXPECT_EQ(cv::countNonZero(compact.labels != (cv::Mat_<int>(1, 5) << 0, 0, 1, 2, 1)), 0);
}

}  // namespace
}  // namespace occ::labels
