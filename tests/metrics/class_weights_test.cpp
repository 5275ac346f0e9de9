// Inverse-log-frequency class weights (model.loss_ce_class_weighting) on
// hand-computed counts.
#include "metrics/class_weights.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/error.h"

namespace occ::metrics {
namespace {

TEST(ClassWeights, InverseLogFrequencyByHand) {
  // 1 / ln(n + 0.001): n = 1 -> 1 / 0.0009995 = 1000.4999; n = 999 ->
  // 1 / 6.906756 = 0.1447858; n = 2597308 (free voxels of the demo's training
  // scenes) -> 1 / 14.77000 = 0.0677049; a class that never occurs -> 0.
  const std::vector<double> weights = inverse_log_frequency_weights({0, 1, 999, 2597308});
  ASSERT_EQ(weights.size(), 4u);
  EXPECT_EQ(weights[0], 0.0);
  EXPECT_NEAR(weights[1], 1000.4999, 1e-4);
  EXPECT_NEAR(weights[2], 0.1447858, 1e-7);
  EXPECT_NEAR(weights[3], 0.0677049, 1e-7);
}

TEST(ClassWeights, RarerClassesWeighMore) {
  const std::vector<double> weights = inverse_log_frequency_weights({10, 100, 1000});
  EXPECT_GT(weights[0], weights[1]);
  EXPECT_GT(weights[1], weights[2]);
}

TEST(ClassWeights, RejectsNegativeCountsAndNoClasses) {
  EXPECT_THROW(inverse_log_frequency_weights({}), UsageError);
  EXPECT_THROW(inverse_log_frequency_weights({3, -1}), UsageError);
}

}  // namespace
}  // namespace occ::metrics
