// KITTI scene-flow outliers and the devkit's background interpolation.
#include <gtest/gtest.h>

#include "core/error.h"
#include "metrics/kitti_sceneflow.h"
#include "metrics/sceneflow.h"
#include "support/temp_dir.h"

namespace occ::metrics {
namespace {

DisparityMap disparity(int64_t w, int64_t h, std::vector<float> values) {
  return {w, h, std::move(values)};
}

FlowMap flow(int64_t w, int64_t h, std::vector<float> u, std::vector<float> v, std::vector<uint8_t> valid) {
  return {w, h, std::move(u), std::move(v), std::move(valid)};
}

TEST(SceneFlow, InterpolateBackgroundFillsGapsWithTheSmallerNeighbourAndExtrapolates) {
  DisparityMap map = disparity(6, 2,
                               {-1, 5, -1, -1, 3, -1,  //
                                -1, -1, -1, -1, -1, -1});
  interpolate_background(map);
  // Row 0: interior gap -> min(5, 3) = 3; left end takes 5, right end 3.
  EXPECT_EQ(map.values, (std::vector<float>{5, 5, 3, 3, 3, 3,     //
                                            5, 5, 3, 3, 3, 3}));  // row 1 extrapolated from above
}

TEST(SceneFlow, FlowInterpolationUsesComponentMinima) {
  FlowMap map = flow(3, 1, {4, 0, 1}, {-2, 0, 7}, {1, 0, 1});
  interpolate_background(map);
  EXPECT_EQ(map.u[1], 1);
  EXPECT_EQ(map.v[1], -2);
  EXPECT_EQ(map.valid[1], 1);
}

TEST(SceneFlow, OutliersNeedBothTheAbsoluteAndTheRelativeThreshold) {
  // Four pixels: disparity errors 4 (of 100: 4 % -> inlier), 4 (of 50: 8 % -> outlier),
  // 3 (of 10: not > 3 px -> inlier), 10 (of 10 -> outlier); pixel 3 is foreground.
  const DisparityMap gt_d1 = disparity(4, 1, {100, 50, 10, 10});
  const DisparityMap est_d1 = disparity(4, 1, {104, 54, 13, 20});
  const DisparityMap gt_d2 = disparity(4, 1, {-1, 20, 20, 20});  // pixel 0 has no t1 disparity
  const DisparityMap est_d2 = disparity(4, 1, {0, 20, 20, 20});
  const FlowMap gt_f = flow(4, 1, {0, 0, 0, 100}, {0, 0, 0, 0}, {1, 1, 1, 1});
  const FlowMap est_f = flow(4, 1, {0, 0, 0, 104}, {0, 0, 0, 0}, {1, 1, 1, 1});  // 4 px of 100: inlier
  const uint8_t objects[] = {0, 0, 0, 1};
  SceneFlowMetrics metrics;
  metrics.add(gt_d1, gt_d2, gt_f, est_d1, est_d2, est_f, objects);
  const SceneFlowCounts& kitti = metrics.counts(0);
  EXPECT_EQ(kitti.d1[0].pixels, 4);
  EXPECT_EQ(kitti.d1[0].outliers, 2);
  EXPECT_EQ(kitti.d1[2].outliers, 1);  // foreground
  EXPECT_EQ(kitti.d1[1].outliers, 1);  // background
  EXPECT_EQ(kitti.fl[0].outliers, 0);
  EXPECT_EQ(kitti.sf[0].pixels, 3);    // pixel 0 lacks d2
  EXPECT_EQ(kitti.sf[0].outliers, 2);  // pixels 1 and 3 through D1
  EXPECT_DOUBLE_EQ(kitti.sf[0].ratio(), 2.0 / 3);
  // 8 px / 10 %: the 10 px error of 10 is still an outlier, the 4 px ones are not.
  EXPECT_EQ(metrics.counts(2).d1[0].outliers, 1);
  EXPECT_DOUBLE_EQ(metrics.disparity_error(0), (4 + 4 + 3 + 10) / 4.0);
  EXPECT_DOUBLE_EQ(metrics.end_point_error(2), 4.0);
}

TEST(SceneFlow, SparseEstimatesAreDensifiedBeforeCounting) {
  const DisparityMap gt = disparity(3, 1, {10, 10, 10});
  const DisparityMap est = disparity(3, 1, {10, -1, 30});  // the hole takes min(10, 30) = 10
  const FlowMap gt_f = flow(3, 1, {0, 0, 0}, {0, 0, 0}, {0, 0, 0});
  SceneFlowMetrics metrics;
  metrics.add(gt, gt, gt_f, est, est, gt_f, nullptr);
  EXPECT_EQ(metrics.counts(0).d1[0].outliers, 1);  // only pixel 2
  EXPECT_EQ(metrics.counts(0).fl[0].pixels, 0);
}

}  // namespace
}  // namespace occ::metrics

namespace occ::metrics {
namespace {

TEST(KittiPng, DisparityAndFlowRoundTripThroughTheDevkitEncoding) {
  test::TempDir dir;
  const DisparityMap disparity = {3, 1, {12.5f, -1.0f, 0.00390625f}};  // 1/256 is the smallest valid value
  write_kitti_disparity(dir.file("d.png"), disparity);
  EXPECT_EQ(read_kitti_disparity(dir.file("d.png")).values, disparity.values);
  const FlowMap flow = {2, 1, {1.5f, 0.0f}, {-300.25f, 0.0f}, {1, 0}};
  write_kitti_flow(dir.file("f.png"), flow);
  const FlowMap back = read_kitti_flow(dir.file("f.png"));
  EXPECT_EQ(back.u, flow.u);
  EXPECT_EQ(back.v, flow.v);
  EXPECT_EQ(back.valid, flow.valid);
  EXPECT_THROW(read_kitti_flow(dir.file("d.png")), FormatError);  // one channel, not three
  EXPECT_THROW(read_kitti_disparity(dir.file("missing.png")), IoError);
}

}  // namespace
}  // namespace occ::metrics
