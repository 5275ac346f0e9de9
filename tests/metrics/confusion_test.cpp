// Occ3D mIoU and SemanticKITTI SSC on hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "metrics/confusion.h"

namespace occ::metrics {
namespace {

// Three classes, free = 2. Voxels (gt, pred, mask):
//   (0,0,1) (0,1,1) (1,1,1) (2,2,1) (2,0,1) (0,0,0 masked out) (255,1,1 dropped)
TEST(Occ3dMiou, HandComputedWithMaskAndIgnoredGt) {
  const uint8_t gt[] = {0, 0, 1, 2, 2, 0, 255};
  const uint8_t pred[] = {0, 1, 1, 2, 0, 0, 1};
  const uint8_t mask[] = {1, 1, 1, 1, 1, 0, 1};
  Occ3dMiou miou(/*classes=*/3, /*free_class=*/2);
  miou.add(gt, pred, mask, 7);
  const auto iou = miou.class_iou();
  // class 0: tp 1, gt 2, pred 2 -> 1/3; class 1: tp 1, gt 1, pred 2 -> 1/2; free: tp 1, gt 2, pred 1 -> 1/2
  EXPECT_DOUBLE_EQ(iou[0], 1.0 / 3);
  EXPECT_DOUBLE_EQ(iou[1], 1.0 / 2);
  EXPECT_DOUBLE_EQ(iou[2], 1.0 / 2);
  EXPECT_DOUBLE_EQ(miou.miou(), (1.0 / 3 + 1.0 / 2) / 2);  // free is not in the mean
  EXPECT_EQ(miou.confusion().at(0, 1), 1);                 // rows GT, columns prediction
}

TEST(Occ3dMiou, ClassAbsentFromBothIsNanAndSkipped) {
  const uint8_t gt[] = {0, 0, 3};
  const uint8_t pred[] = {0, 3, 3};
  Occ3dMiou miou(/*classes=*/4, /*free_class=*/3);
  miou.add(gt, pred, nullptr, 3);
  const auto iou = miou.class_iou();
  EXPECT_DOUBLE_EQ(iou[0], 0.5);
  EXPECT_TRUE(std::isnan(iou[1]));
  EXPECT_TRUE(std::isnan(iou[2]));
  EXPECT_DOUBLE_EQ(miou.miou(), 0.5);  // nanmean over the one class present
  Occ3dMiou empty(4, 3);
  EXPECT_TRUE(std::isnan(empty.miou()));
}

TEST(Occ3dMiou, MergeEqualsOneAccumulator) {
  const uint8_t gt[] = {0, 1, 1, 2};
  const uint8_t pred[] = {0, 1, 0, 2};
  Occ3dMiou whole(3, 2), first(3, 2), second(3, 2);
  whole.add(gt, pred, nullptr, 4);
  first.add(gt, pred, nullptr, 2);
  second.add(gt + 2, pred + 2, nullptr, 2);
  first.merge(second);
  EXPECT_EQ(first.confusion().counts, whole.confusion().counts);
}

// SemanticKITTI: empty = 0. Voxels (gt, pred, invalid):
//   (0,0) (1,1) (1,2) (2,0) (0,1) (255,1 ignored) (1,1 invalid)
TEST(SscMetrics, HandComputedWithOfficialEpsilonRules) {
  const uint8_t gt[] = {0, 1, 1, 2, 0, 255, 1};
  const uint8_t pred[] = {0, 1, 2, 0, 1, 1, 1};
  const uint8_t valid[] = {1, 1, 1, 1, 1, 1, 0};
  SscMetrics ssc(/*classes=*/4, /*empty_class=*/0);
  ssc.add(gt, pred, valid, 7);
  const auto iou = ssc.class_iou();
  // class 1: tp 1, fp 1 (gt 0), fn 1 (pred 2) -> 1/3; class 2: tp 0, fp 1, fn 1 -> 0;
  // class 3 absent everywhere: 0 / (0 + 1e-15) = 0, and it still counts in the mean.
  EXPECT_NEAR(iou[1], 1.0 / 3, 1e-15);
  EXPECT_EQ(iou[2], 0.0);
  EXPECT_EQ(iou[3], 0.0);
  EXPECT_NEAR(ssc.miou(), (1.0 / 3) / 3, 1e-15);
  // occupied-occupied = 2 ((1,1), (1,2)); predicted occupied = 3; GT occupied = 3; empty-empty = 1; total 5
  EXPECT_DOUBLE_EQ(ssc.completion_iou(), 2.0 / 4);
  EXPECT_DOUBLE_EQ(ssc.precision(), 2.0 / (3 + 1.1920928955078125e-07));
  EXPECT_DOUBLE_EQ(ssc.recall(), 2.0 / (3 + 1.1920928955078125e-07));
  EXPECT_EQ(ssc.confusion().at(2, 1), 1);  // rows prediction, columns GT
}

TEST(SscMetrics, NothingEvaluatedGivesNanCompletion) {
  SscMetrics ssc(3, 0);
  EXPECT_TRUE(std::isnan(ssc.completion_iou()));
  EXPECT_EQ(ssc.precision(), 0.0);
}

}  // namespace
}  // namespace occ::metrics
