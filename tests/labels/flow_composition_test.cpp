#include "labels/flow_composition.h"

#include <gtest/gtest.h>

#include "labels/optical_flow.h"
#include "support/frames_builder.h"

namespace occ::labels {
namespace {

const cv::Size kSize(64, 48);

cv::Mat constant_flow(double dx, double dy) {
  return cv::Mat(kSize, CV_32FC2, cv::Scalar(dx, dy));
}

// A flow that varies with x, so that looking it up at p instead of at the
// propagated position gives a different answer.
cv::Mat ramp_flow(double scale) {
  cv::Mat flow(kSize, CV_32FC2);
  for (int y = 0; y < kSize.height; ++y) {
    for (int x = 0; x < kSize.width; ++x) flow.at<cv::Vec2f>(y, x) = cv::Vec2f(float(scale * x), 0.0f);
  }
  return flow;
}

// The exact inverse of ramp_flow(scale) as a backward flow: x' = (1 + s) x.
cv::Mat ramp_inverse(double scale) {
  cv::Mat flow(kSize, CV_32FC2);
  for (int y = 0; y < kSize.height; ++y) {
    for (int x = 0; x < kSize.width; ++x)
      flow.at<cv::Vec2f>(y, x) = cv::Vec2f(float(x / (1 + scale) - x), 0.0f);
  }
  return flow;
}

TEST(ComposeFlows, OneStepIsTheFlowAndItsForwardBackwardCheck) {
  const cv::Mat a = test::texture(kSize, 3, 2.0);
  cv::Mat b;
  const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 2.5, 0, 1, -1);
  cv::warpAffine(a, b, shift, kSize, cv::INTER_LINEAR, cv::BORDER_REFLECT);
  const cv::Mat forward = optical_flow(a, b, "dis"), backward = optical_flow(b, a, "dis");
  const ComposedFlow composed = compose_flows({forward}, {backward}, 0.01, 0.5);
  EXPECT_EQ(cv::norm(composed.flow, forward, cv::NORM_INF), 0.0);
  const cv::Mat expected = forward_backward_valid(forward, backward, 0.01, 0.5);
  EXPECT_EQ(cv::countNonZero(composed.valid != expected), 0);
  EXPECT_GT(cv::countNonZero(composed.valid), 0);
}

TEST(ComposeFlows, LooksEachStepUpWhereThePixelHasGot) {
  // Step 1 moves everything 4 px right; step 2 moves x by 0.1 x. Pixel x
  // ends at (x + 4) * 1.1: flow 4 + 0.1 (x + 4), not 4 + 0.1 x.
  const ComposedFlow composed = compose_flows({constant_flow(4, 0), ramp_flow(0.1)},
                                              {constant_flow(-4, 0), ramp_inverse(0.1)}, 0.01, 0.5);
  for (int x : {0, 10, 30, 45}) {
    const cv::Vec2f f = composed.flow.at<cv::Vec2f>(20, x);
    EXPECT_NEAR(f[0], 4 + 0.1 * (x + 4), 0.02) << x;
    EXPECT_NEAR(f[1], 0, 1e-6);
    // Inside while (x + 4) * 1.1 <= 63.
    EXPECT_EQ(composed.valid.at<uint8_t>(20, x), (x + 4) * 1.1 <= 63 ? 1 : 0) << x;
  }
  EXPECT_EQ(composed.valid.at<uint8_t>(20, 55), 0) << "left the image at step 2";
  EXPECT_EQ(composed.valid.at<uint8_t>(20, 61), 0) << "left the image at step 1";
}

TEST(ComposeFlows, AFailedCheckAtAnyStepInvalidatesThePixel) {
  // Three steps of 3 px right. The second step's backward flow is wrong on
  // a block of frame 2 (columns 20..29): pixels of frame 0 that pass there
  // (x + 6 in 20..29, x in 14..23) are invalid, the others are not.
  cv::Mat bad_backward = constant_flow(-3, 0);
  bad_backward(cv::Rect(20, 0, 10, kSize.height)).setTo(cv::Scalar(5, 0));
  const ComposedFlow composed =
      compose_flows({constant_flow(3, 0), constant_flow(3, 0), constant_flow(3, 0)},
                    {constant_flow(-3, 0), bad_backward, constant_flow(-3, 0)}, 0.01, 0.5);
  for (int x = 0; x < kSize.width; ++x) {
    // Every position is a whole pixel, so no lookup blends the block in.
    const bool passes_bad_block = x + 6 >= 20 && x + 6 <= 29;
    const bool stays_inside = x + 9 <= kSize.width - 1;
    EXPECT_EQ(composed.valid.at<uint8_t>(10, x), stays_inside && !passes_bad_block ? 1 : 0) << x;
    if (stays_inside) {
      EXPECT_NEAR(composed.flow.at<cv::Vec2f>(10, x)[0], 9.0, 1e-5) << x;
    }
  }
  EXPECT_GT(cv::countNonZero(composed.valid), 0);
}

}  // namespace
}  // namespace occ::labels
