// monodepth2's depth errors on hand-computed images.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "metrics/depth.h"

namespace occ::metrics {
namespace {

TEST(Depth, ErrorsOfOnePair) {
  const DepthErrors e = depth_errors({2.0f, 4.0f}, {1.0f, 4.0f});
  const DepthErrors close = depth_errors({1.9f}, {1.0f});  // ratio 1.9 passes only 1.25^3
  EXPECT_DOUBLE_EQ(close.a2, 0.0);
  EXPECT_DOUBLE_EQ(close.a3, 1.0);
  EXPECT_DOUBLE_EQ(e.abs_rel, (0.5 + 0.0) / 2);
  EXPECT_DOUBLE_EQ(e.sq_rel, (0.5 + 0.0) / 2);
  EXPECT_DOUBLE_EQ(e.rmse, std::sqrt(0.5));
  EXPECT_DOUBLE_EQ(e.rmse_log, std::sqrt(std::log(2.0) * std::log(2.0) / 2));
  EXPECT_DOUBLE_EQ(e.a1, 0.5);  // ratio 2 fails 1.25 ...
  EXPECT_DOUBLE_EQ(e.a2, 0.5);  // ... 1.5625 ...
  EXPECT_DOUBLE_EQ(e.a3, 0.5);  // and 1.953125
}

TEST(Depth, MaskClampMedianAndImageAverage) {
  DepthMetrics metrics;
  // 0 = unknown GT, 100 is beyond 80 m: both masked out; prediction 200 is clamped to 80.
  const float gt[] = {0.0f, 2.0f, 4.0f, 100.0f, 40.0f, 0.0f};
  const float pred[] = {5.0f, 1.0f, 2.0f, 9.0f, 200.0f, 3.0f};
  metrics.add_image(gt, pred, 2, 3, "test");
  // raw: pairs (2,1) (4,2) (40,80) -> abs_rel = (0.5 + 0.5 + 1) / 3
  EXPECT_DOUBLE_EQ(metrics.raw().abs_rel, 2.0 / 3);
  // median: median(gt) 4 / median(pred) 2 = 2 -> (2,2) (4,4) (40,80 after clamping 400)
  EXPECT_DOUBLE_EQ(metrics.median_scaled().abs_rel, 1.0 / 3);
  const float gt2[] = {10.0f};
  const float pred2[] = {10.0f};
  metrics.add_image(gt2, pred2, 1, 1, "test");
  EXPECT_DOUBLE_EQ(metrics.raw().abs_rel, (2.0 / 3 + 0.0) / 2);  // mean over images
  EXPECT_EQ(metrics.images(), 2);
}

TEST(Depth, ImageWithoutValidGtIsSkippedAndNanPredictionIsAnError) {
  DepthMetrics metrics;
  const float gt[] = {0.0f, 0.0f};
  const float pred[] = {1.0f, 1.0f};
  metrics.add_image(gt, pred, 1, 2, "test");
  EXPECT_EQ(metrics.images(), 0);
  EXPECT_EQ(metrics.skipped_images(), 1);
  EXPECT_TRUE(std::isnan(metrics.raw().rmse));
  const float gt_valid[] = {5.0f, 0.0f};
  const float nan_pred[] = {std::nanf(""), 1.0f};
  EXPECT_THROW(metrics.add_image(gt_valid, nan_pred, 1, 2, "'p.h5' frame 0"), FormatError);
  const float nan_where_unknown[] = {1.0f, std::nanf("")};  // no GT there: ignored
  EXPECT_NO_THROW(metrics.add_image(gt_valid, nan_where_unknown, 1, 2, "test"));
}

TEST(Depth, EigenCropKeepsTheMonodepth2Window) {
  DepthOptions options;
  options.eigen_crop = true;
  DepthMetrics metrics(options);
  // 10 x 100 image: rows int(4.08)=4 .. int(9.919)=9, cols 3 .. 96.
  std::vector<float> gt(1000, 10.0f), pred(1000, 10.0f);
  pred[0] = 1.0f;             // outside the crop: ignored
  pred[4 * 100 + 3] = 20.0f;  // inside
  metrics.add_image(gt.data(), pred.data(), 10, 100, "test");
  EXPECT_DOUBLE_EQ(metrics.raw().abs_rel, 1.0 / (5 * 93));
}

TEST(Depth, OptionsValidate) {
  DepthOptions options;
  options.min_depth = 90;
  EXPECT_THROW(options.validate(), UsageError);
}

}  // namespace
}  // namespace occ::metrics
