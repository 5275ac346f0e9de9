// RayIoU counting, mAVE and OccScore on hand-made rays.
#include <gtest/gtest.h>

#include <cmath>

#include "metrics/rayiou.h"

namespace occ::metrics {
namespace {

// Classes: 0 car (flow class), 1 road, 2 free.
RayIou make(RayIouOptions options = {}) {
  return RayIou(3, 2, {true, false, false}, options);
}

TEST(RayIou, StrictThresholdsAndFreeRaysDropped) {
  RayIou rays = make();
  rays.add(/*gt=*/0, 10.0f, /*pred=*/0, 11.0f, nullptr, nullptr);  // |e| = 1: TP at 2 m and 4 m, not at 1 m
  rays.add(0, 10.0f, 0, 10.5f, nullptr, nullptr);                  // TP everywhere
  rays.add(0, 10.0f, 1, 10.0f, nullptr, nullptr);                  // wrong class
  rays.add(1, 5.0f, 1, 8.5f, nullptr, nullptr);                    // TP at 4 m only
  rays.add(2, 5.0f, 0, 5.0f, nullptr, nullptr);                    // GT free: dropped
  EXPECT_EQ(rays.rays(), 4);
  const auto iou = rays.class_iou();
  // car: gt 3, pred 2; TP@1 = 1, TP@2 = 2, TP@4 = 2
  EXPECT_DOUBLE_EQ(iou[0][0], 1.0 / (3 + 2 - 1));
  EXPECT_DOUBLE_EQ(iou[1][0], 2.0 / (3 + 2 - 2));
  EXPECT_DOUBLE_EQ(iou[2][0], 2.0 / 3);
  // road: gt 1, pred 2; TP only at 4 m
  EXPECT_DOUBLE_EQ(iou[0][1], 0.0);
  EXPECT_DOUBLE_EQ(iou[2][1], 1.0 / 2);
  EXPECT_DOUBLE_EQ(rays.rayiou_at(0), (0.25 + 0.0) / 2);
  EXPECT_DOUBLE_EQ(rays.rayiou(), (0.25 + 0.0 + 2.0 / 3 + 0.0 + 2.0 / 3 + 0.5) / 6);
}

TEST(RayIou, AbsentClassIsNanAndSkipped) {
  RayIou rays = make();
  rays.add(1, 5.0f, 1, 5.0f, nullptr, nullptr);
  EXPECT_TRUE(std::isnan(rays.class_iou()[0][0]));
  EXPECT_DOUBLE_EQ(rays.rayiou(), 1.0);
  EXPECT_TRUE(std::isnan(make().rayiou()));
}

TEST(RayIou, GeometryOnlyUsesTheGtClassForThePrediction) {
  RayIou rays = make({/*geometry_only=*/true, /*flow_scale=*/1.0});
  rays.add(0, 10.0f, 1, 10.5f, nullptr, nullptr);
  rays.add(0, 10.0f, 1, 13.0f, nullptr, nullptr);
  const auto iou = rays.class_iou();
  EXPECT_DOUBLE_EQ(iou[0][0], 1.0 / (2 + 2 - 1));
  EXPECT_DOUBLE_EQ(iou[2][0], 2.0 / 2);
  EXPECT_TRUE(std::isnan(iou[0][1]));
}

TEST(RayIou, MaveAveragesFlowErrorOfTruePositivesAtTwoMetres) {
  RayIou rays = make({/*geometry_only=*/false, /*flow_scale=*/2.0});
  const float gt_flow[] = {3.0f, 4.0f};
  const float pred_flow[] = {0.0f, 0.0f};
  const float half_flow[] = {1.5f, 2.0f};            // x2 = exact
  rays.add(0, 10.0f, 0, 10.0f, gt_flow, pred_flow);  // error 5
  rays.add(0, 10.0f, 0, 10.0f, gt_flow, half_flow);  // error 0
  rays.add(0, 10.0f, 0, 13.0f, gt_flow, pred_flow);  // not TP at 2 m: no flow term
  rays.add(1, 10.0f, 1, 10.0f, gt_flow, pred_flow);  // road is not a flow class
  const auto ave = rays.class_ave();
  EXPECT_DOUBLE_EQ(ave[0], 2.5);
  EXPECT_TRUE(std::isnan(ave[1]));
  EXPECT_DOUBLE_EQ(rays.mave(), 2.5);
  EXPECT_DOUBLE_EQ(rays.occ_score(), 0.9 * rays.rayiou());  // max(1 - 2.5, 0) = 0
  RayIou no_flow = make();
  no_flow.add(1, 10.0f, 1, 10.0f, nullptr, nullptr);
  EXPECT_TRUE(std::isnan(no_flow.mave()));
  EXPECT_TRUE(std::isnan(no_flow.occ_score()));
}

TEST(RayIou, MergeAndResetKeepSettings) {
  RayIou a = make(), b = make();
  a.add(0, 1.0f, 0, 1.0f, nullptr, nullptr);
  b.add(0, 1.0f, 1, 1.0f, nullptr, nullptr);
  a.merge(b);
  EXPECT_EQ(a.rays(), 2);
  EXPECT_DOUBLE_EQ(a.class_iou()[0][0], 1.0 / 2);
  a.reset();
  EXPECT_EQ(a.rays(), 0);
  EXPECT_TRUE(std::isnan(a.rayiou()));
}

}  // namespace
}  // namespace occ::metrics
