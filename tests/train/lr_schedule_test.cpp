#include "train/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace occ::train {
namespace {

TEST(LrSchedule, CosineWithLinearWarmupAsMmcv) {
  LrSchedule schedule;  // PanoOcc: lr 2e-4, warm-up 500 from 1/3, min ratio 1e-3
  schedule.total_steps = 2000;
  const double lr = 2e-4;
  const double end = lr * 1e-3;
  auto cosine = [&](int64_t step) { return end + 0.5 * (lr - end) * (1 + std::cos(M_PI * step / 2000.0)); };
  EXPECT_NEAR(schedule.at(0), lr / 3.0, 1e-15);                               // warm-up starts at 1/3
  EXPECT_NEAR(schedule.at(250), cosine(250) * (1 - 0.5 * 2.0 / 3.0), 1e-15);  // halfway
  EXPECT_NEAR(schedule.at(500), cosine(500), 1e-15);                          // warm-up over
  EXPECT_NEAR(schedule.at(1000), (lr + end) / 2, 1e-15);                      // cosine midpoint
  EXPECT_NEAR(schedule.at(2000), end, 1e-15);
}

TEST(LrSchedule, StepAndConstant) {
  LrSchedule schedule;
  schedule.kind = "step";
  schedule.lr = 1.0;
  schedule.warmup_steps = 0;
  schedule.milestones = {10, 20};
  EXPECT_DOUBLE_EQ(schedule.at(9), 1.0);
  EXPECT_DOUBLE_EQ(schedule.at(10), 0.1);
  EXPECT_NEAR(schedule.at(25), 0.01, 1e-15);
  schedule.kind = "constant";
  EXPECT_DOUBLE_EQ(schedule.at(25), 1.0);
}

TEST(LrSchedule, ValidateNamesTheKey) {
  LrSchedule schedule;
  schedule.kind = "linear";
  try {
    schedule.validate();
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("train.schedule.kind"), std::string::npos);
  }
  schedule.kind = "cosine";
  schedule.warmup_ratio = 0;
  EXPECT_THROW(schedule.validate(), UsageError);
}

}  // namespace
}  // namespace occ::train
