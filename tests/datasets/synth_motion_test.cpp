// Agent motion: velocity, heading and yaw rate are the derivatives of the
// path, for turning agents and lane changes alike (flow and boxes use them).
#include <gtest/gtest.h>

#include <cmath>

#include "datasets/synth/world.h"

namespace occ::synth {
namespace {

void expect_consistent(const Motion& motion, double duration) {
  const double h = 1e-5;
  for (double t = 0.01; t < duration; t += 0.173) {
    const geom::Vec3 p0 = motion.position(t - h), p1 = motion.position(t + h);
    const geom::Vec3 numeric = (p1 - p0) * (0.5 / h);
    const geom::Vec3 velocity = motion.velocity(t);
    EXPECT_NEAR(velocity.x, numeric.x, 1e-4) << t;
    EXPECT_NEAR(velocity.y, numeric.y, 1e-4) << t;
    // The heading is the direction of travel.
    EXPECT_NEAR(std::remainder(motion.yaw(t) - std::atan2(velocity.y, velocity.x), 2 * M_PI), 0, 1e-6) << t;
    const double numeric_yaw_rate = std::remainder(motion.yaw(t + h) - motion.yaw(t - h), 2 * M_PI) / (2 * h);
    EXPECT_NEAR(motion.yaw_rate_at(t), numeric_yaw_rate, 1e-4) << t;
  }
}

TEST(SynthMotion, TurningAgentsFollowTheirArc) {
  expect_consistent(Motion{3, -2, 0.4, 1.3, 0.25}, 10);
  expect_consistent(Motion{0, 0, -2.0, 4.0, -0.2}, 10);
}

TEST(SynthMotion, LaneChangesShiftSmoothlyAndTurnTheHeading) {
  Motion motion{0, -5.25, 0.0, 8.0, 0};
  motion.shift_m = 3.5;
  motion.shift_start_s = 2;
  motion.shift_duration_s = 4;
  expect_consistent(motion, 9);
  EXPECT_NEAR(motion.position(1).y, -5.25, 1e-12);
  EXPECT_NEAR(motion.position(7).y, -1.75, 1e-12);
  EXPECT_GT(motion.yaw(4), 0.05);  // heading left in the middle of the change
  EXPECT_NEAR(motion.yaw(7), 0, 1e-12);
  // Opposite direction: "left of the heading" is -y.
  Motion back{50, 5.25, M_PI, 8.0, 0};
  back.shift_m = 3.5;
  back.shift_duration_s = 3;
  expect_consistent(back, 5);
  EXPECT_NEAR(back.position(4).y, 1.75, 1e-9);
}

}  // namespace
}  // namespace occ::synth
