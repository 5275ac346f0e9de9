// Region pictures: each region painted with its mean colour, boundaries
// drawn, labels upsampled nearest to the image.
#include "viz/image_views.h"

#include <gtest/gtest.h>

namespace occ::viz {
namespace {

TEST(PaintRegionMeans, PaintsMeanColoursAndWhiteBoundaries) {
  // 4x6 image; labels at half resolution (2x3): region 0 left, 1 top right,
  // 2 bottom right. Upsampled, region 0 covers columns 0-1 of every row.
  cv::Mat image(4, 6, CV_8UC3);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 6; ++x)
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(10 * x), static_cast<uchar>(20 * y), 7);
  }
  const cv::Mat labels = (cv::Mat_<uint16_t>(2, 3) << 0, 1, 1, 0, 2, 2);
  const cv::Mat out = paint_region_means(image, labels);
  ASSERT_EQ(out.size(), image.size());
  const cv::Vec3b white(255, 255, 255);
  // Region 0: x in {0, 1}, y in 0..3: mean (5, 30, 7); column 1 borders region 1/2.
  for (int y = 0; y < 4; ++y) {
    EXPECT_EQ(out.at<cv::Vec3b>(y, 0), cv::Vec3b(5, 30, 7)) << y;
    EXPECT_EQ(out.at<cv::Vec3b>(y, 1), white) << y;
  }
  // Region 1: x 2..5, y 0..1: mean (35, 10, 7); row 1 borders region 2.
  EXPECT_EQ(out.at<cv::Vec3b>(0, 2), cv::Vec3b(35, 10, 7));
  EXPECT_EQ(out.at<cv::Vec3b>(0, 5), cv::Vec3b(35, 10, 7));
  EXPECT_EQ(out.at<cv::Vec3b>(1, 3), white);
  // Region 2: x 2..5, y 2..3: mean (35, 50, 7), no boundary inside.
  EXPECT_EQ(out.at<cv::Vec3b>(2, 2), cv::Vec3b(35, 50, 7));
  EXPECT_EQ(out.at<cv::Vec3b>(3, 5), cv::Vec3b(35, 50, 7));
}

TEST(PaintRegionMeans, OneRegionIsTheImageMeanWithoutBoundaries) {
  cv::Mat image(3, 3, CV_8UC3, cv::Scalar(0, 0, 0));
  image.at<cv::Vec3b>(1, 1) = cv::Vec3b(90, 180, 9);
  const cv::Mat out = paint_region_means(image, cv::Mat(1, 1, CV_32S, cv::Scalar(4)));
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 3; ++x) EXPECT_EQ(out.at<cv::Vec3b>(y, x), cv::Vec3b(10, 20, 1)) << y << " " << x;
  }
}

}  // namespace
}  // namespace occ::viz
