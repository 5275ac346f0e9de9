// Image steps of the loader on hand-made images and matrices: the flip keeps
// projection exact (skew included), the normalised planes hold known values.
#include "train/image_transform.h"

#include <gtest/gtest.h>

#include <vector>

namespace occ::train {
namespace {

std::array<double, 2> project(const PixelFromCamera& k, double x, double y, double z) {
  const double w = k[6] * x + k[7] * y + k[8] * z;
  return {(k[0] * x + k[1] * y + k[2] * z) / w, (k[3] * x + k[4] * y + k[5] * z) / w};
}

TEST(ImageTransformTest, FlipMirrorsProjectionsIncludingSkew) {
  const cv::Mat image(10, 40, CV_8UC3, cv::Scalar(0, 0, 0));
  PixelFromCamera k{30, 0.5, 18.25, 0, 28, 6, 0, 0, 1};
  const PixelFromCamera stored = k;
  flip_image(image, k);
  for (const auto& point : std::vector<std::array<double, 3>>{{0.1, 0.2, 1.5}, {-2, 1, 4}, {0, 0, 1}}) {
    const auto before = project(stored, point[0], point[1], point[2]);
    const auto after = project(k, point[0], point[1], point[2]);
    EXPECT_NEAR(after[0], 40 - before[0], 1e-12);
    EXPECT_NEAR(after[1], before[1], 1e-12);
  }
}

TEST(ImageTransformTest, ResizeKeepsStoredSizeWhenAsked) {
  const cv::Mat image(10, 40, CV_8UC3, cv::Scalar(1, 2, 3));
  PixelFromCamera k{30, 0, 20, 0, 28, 5, 0, 0, 1};
  const cv::Mat same = resize_image(image, 0, 0, k);
  EXPECT_EQ(same.data, image.data);
  EXPECT_EQ(k[0], 30);
  const cv::Mat wider = resize_image(image, 0, 80, k);  // one side only
  EXPECT_EQ(wider.size(), cv::Size(80, 10));
  EXPECT_EQ(k[0], 60);
  EXPECT_EQ(k[2], 40);
  EXPECT_EQ(k[4], 28);
}

TEST(ImageTransformTest, NormalisedPlanesHoldKnownValues) {
  cv::Mat rgb(1, 2, CV_8UC3);
  rgb.at<cv::Vec3b>(0, 0) = cv::Vec3b(10, 20, 30);
  rgb.at<cv::Vec3b>(0, 1) = cv::Vec3b(40, 50, 60);
  std::vector<float> planes(6);
  normalise_to_planes(rgb, {1, 2, 3}, {2, 4, 8}, /*bgr=*/false, planes.data());
  EXPECT_EQ(planes, (std::vector<float>{4.5f, 19.5f, 4.5f, 12, 3.375f, 7.125f}));
  normalise_to_planes(rgb, {0, 0, 0}, {1, 1, 1}, /*bgr=*/true, planes.data());
  EXPECT_EQ(planes, (std::vector<float>{30, 60, 20, 50, 10, 40}));
}

}  // namespace
}  // namespace occ::train
