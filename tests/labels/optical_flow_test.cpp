#include "labels/optical_flow.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "support/frames_builder.h"

namespace occ::labels {
namespace {

cv::Mat shifted(const cv::Mat& image, double dx, double dy) {
  const cv::Mat transform = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
  cv::Mat out;
  cv::warpAffine(image, out, transform, image.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  return out;
}

TEST(OpticalFlow, EveryMethodRecoversAKnownShift) {
  const cv::Mat first = test::texture(cv::Size(160, 120), 7, 3.0);
  // second(p) = first(p - d): content moves by d = (3.5, -2).
  const cv::Mat second = shifted(first, 3.5, -2.0);
  const cv::Rect interior(20, 20, 120, 80);
  for (const auto& method : flow_methods()) {
    const cv::Mat flow = optical_flow(first, second, method);
    ASSERT_EQ(flow.type(), CV_32FC2) << method;
    cv::Mat truth(flow.size(), CV_32FC2, cv::Scalar(3.5, -2.0));
    cv::Mat mask = cv::Mat::zeros(flow.size(), CV_8U);
    mask(interior).setTo(1);
    FlowErrorSum error;
    error.add(flow, truth, mask);
    EXPECT_LT(error.result().epe, 0.5) << method;
    EXPECT_EQ(error.result().outlier_fraction, 0.0) << method;
  }
  EXPECT_THROW(check_flow_method("raft"), UsageError);
}

TEST(ForwardBackward, RejectsOccludedBackground) {
  // A textured square slides 12 px right over a static textured background:
  // the background it covers in the second image has no match.
  const cv::Mat background = test::texture(cv::Size(320, 240), 1, 3.0);
  const cv::Mat square = test::texture(cv::Size(80, 80), 2, 3.0);
  cv::Mat first = background.clone(), second = background.clone();
  square.copyTo(first(cv::Rect(100, 80, 80, 80)));
  square.copyTo(second(cv::Rect(112, 80, 80, 80)));
  const cv::Mat forward = optical_flow(first, second, "dis");
  const cv::Mat backward = optical_flow(second, first, "dis");
  const cv::Mat valid = forward_backward_valid(forward, backward);
  const cv::Rect occluded(182, 88, 8, 64);  // background in `first`, under the square in `second`
  const cv::Rect static_background(16, 16, 60, 200);
  const cv::Rect moving_square(112, 92, 56, 56);
  const double occluded_valid = cv::mean(valid(occluded))[0];
  EXPECT_LT(occluded_valid, 0.5) << "occluded pixels must mostly be rejected";
  EXPECT_GT(cv::mean(valid(static_background))[0], 0.9);
  EXPECT_GT(cv::mean(valid(moving_square))[0], 0.9);
}

TEST(ForwardBackward, HandComputedThreshold) {
  // f = (2, 0) everywhere; b = (-2 + e, 0): |f + b|^2 = e^2 vs 0.01 (4 + |b|^2) + 0.5.
  cv::Mat forward(8, 8, CV_32FC2, cv::Scalar(2, 0));
  const cv::Mat agree = forward_backward_valid(forward, cv::Mat(8, 8, CV_32FC2, cv::Scalar(-1.4, 0)));
  const cv::Mat disagree = forward_backward_valid(forward, cv::Mat(8, 8, CV_32FC2, cv::Scalar(-1.2, 0)));
  // e = 0.6: 0.36 < 0.01 (4 + 1.96) + 0.5 = 0.5596 -> valid; e = 0.8: 0.64 > 0.5544 -> invalid.
  EXPECT_EQ(agree.at<uint8_t>(3, 3), 1);
  EXPECT_EQ(disagree.at<uint8_t>(3, 3), 0);
  // Targets beyond the right edge are invalid.
  EXPECT_EQ(agree.at<uint8_t>(3, 6), 0);
  EXPECT_EQ(agree.at<uint8_t>(3, 5), 1);
}

TEST(FlowError, EndPointErrorAndOutliers) {
  cv::Mat truth(1, 3, CV_32FC2, cv::Scalar(10, 0));
  cv::Mat flow = (cv::Mat_<cv::Vec2f>(1, 3) << cv::Vec2f(10, 0), cv::Vec2f(13, 4), cv::Vec2f(10.4, 0.3));
  FlowErrorSum sum;
  sum.add(flow, truth, cv::Mat::ones(1, 3, CV_8U));
  EXPECT_NEAR(sum.result().epe, (0 + 5 + 0.5) / 3, 1e-6);
  EXPECT_NEAR(sum.result().outlier_fraction, 1.0 / 3, 1e-12) << "5 px > 3 px and > 5% of 10";
}

}  // namespace
}  // namespace occ::labels
