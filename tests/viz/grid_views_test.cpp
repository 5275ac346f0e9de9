#include "viz/grid_views.h"

#include <gtest/gtest.h>

#include "support/frames_builder.h"
#include "viz/image_views.h"
#include "viz/palette.h"

namespace occ::viz {
namespace {

OccupancyGrid occ3d_grid() {
  OccupancyGrid grid;
  grid.shape = {200, 200, 16};
  grid.origin_m = {-40, -40, -1};
  grid.voxel_size_m = {0.4, 0.4, 0.4};
  grid.labels.assign(200 * 200 * 16, 17);
  return grid;
}

TEST(GridViews, AKnownVoxelAppearsAtItsBevPixelWithItsClassColour) {
  OccupancyGrid grid = occ3d_grid();
  for (int64_t x = 0; x < 200; ++x) {
    for (int64_t y = 0; y < 200; ++y) grid.labels[grid.linear(x, y, 0)] = 11;  // road
  }
  grid.labels[grid.linear(150, 60, 3)] = 4;  // a car voxel 20.2 m ahead, 15.8 m to the left
  const auto palette = class_palette(test::occ3d_class_names());
  BevStyle style;
  style.pixels_per_voxel = 2;
  style.ego_marker = style.scale_bar = false;
  const cv::Mat bev = render_bev(grid, palette, style);
  ASSERT_EQ(bev.size(), cv::Size(400, 400));
  const cv::Point pixel = bev_pixel(grid, 150, 60, 2);
  EXPECT_EQ(pixel, cv::Point((199 - 60) * 2 + 1, (199 - 150) * 2 + 1)) << "x up, y left";
  // Car blue (0, 150, 245) at height factor 0.75 + 0.25 * 3 / 15 = 0.8.
  EXPECT_EQ(bev.at<cv::Vec3b>(pixel), cv::Vec3b(0, 120, 196));
  // Road magenta (255, 0, 255) at factor 0.75 elsewhere.
  EXPECT_EQ(bev.at<cv::Vec3b>(bev_pixel(grid, 10, 10, 2)), cv::Vec3b(191, 0, 191));
  // With the camera mask, an unseen voxel disappears.
  grid.visible.assign(grid.labels.size(), 1);
  grid.visible[grid.linear(150, 60, 3)] = 0;
  style.camera_only = true;
  EXPECT_EQ(render_bev(grid, palette, style).at<cv::Vec3b>(pixel), cv::Vec3b(191, 0, 191));
}

TEST(GridViews, VoxelViewShowsABuildingAheadInTheMiddle) {
  const auto palette = class_palette(test::occ3d_class_names());
  OccupancyGrid empty = occ3d_grid();
  OccupancyGrid building = occ3d_grid();
  // 8 m x 4 m x 6.4 m of manmade, 4-12 m ahead, centred on the ego's axis.
  for (int64_t x = 110; x < 130; ++x) {
    for (int64_t y = 95; y < 105; ++y) {
      for (int64_t z = 0; z < 16; ++z) building.labels[building.linear(x, y, z)] = 15;
    }
  }
  VoxelCamera camera;
  camera.size = cv::Size(320, 180);
  const cv::Mat before = render_voxels(empty, palette, camera);
  const cv::Mat after = render_voxels(building, palette, camera);
  cv::Mat difference;
  cv::absdiff(before, after, difference);
  cv::Mat changed;
  cv::cvtColor(difference, changed, cv::COLOR_RGB2GRAY);
  changed = changed > 10;
  ASSERT_GT(cv::countNonZero(changed), 200);
  const cv::Moments moments = cv::moments(changed, true);
  EXPECT_NEAR(moments.m10 / moments.m00, 160, 20) << "centred left-right";
  // Face shading: the top and the front of the block differ in brightness.
  std::set<int> shades;
  for (int y = 0; y < after.rows; ++y) {
    for (int x = 0; x < after.cols; ++x) {
      if (changed.at<uint8_t>(y, x)) shades.insert(after.at<cv::Vec3b>(y, x)[0] / 16);
    }
  }
  EXPECT_GE(shades.size(), 2u);
}

TEST(GridViews, ErrorBevShadesColumnsByTheirShareOfWrongVoxels) {
  OccupancyGrid truth = occ3d_grid(), prediction = occ3d_grid();
  truth.labels[truth.linear(100, 100, 2)] = 4;
  prediction.labels[prediction.linear(100, 100, 2)] = 4;  // right
  truth.labels[truth.linear(50, 50, 2)] = 4;
  prediction.labels[prediction.linear(50, 50, 2)] = 10;  // wrong class
  BevStyle style;
  style.ego_marker = style.scale_bar = false;
  const cv::Mat error = render_error_bev(truth, prediction, style);
  EXPECT_EQ(error.at<cv::Vec3b>(bev_pixel(truth, 50, 50, 2)), cv::Vec3b(220, 30, 30));
  EXPECT_EQ(error.at<cv::Vec3b>(bev_pixel(truth, 100, 100, 2)), cv::Vec3b(190, 190, 190));
  EXPECT_EQ(error.at<cv::Vec3b>(bev_pixel(truth, 10, 10, 2)), kBackground);
  // Half of a column's occupied voxels wrong: halfway from grey to red.
  truth.labels[truth.linear(70, 70, 1)] = 11;
  prediction.labels[prediction.linear(70, 70, 1)] = 11;
  truth.labels[truth.linear(70, 70, 2)] = 4;  // predicted free
  const cv::Mat half = render_error_bev(truth, prediction, style);
  EXPECT_EQ(half.at<cv::Vec3b>(bev_pixel(truth, 70, 70, 2)), cv::Vec3b(205, 110, 110));
}

TEST(ImageViews, FlowWheelDepthAndBoundaries) {
  // Zero flow is white; flow to the right (+x) is red-ish in the Middlebury wheel... and
  // opposite directions get different colours.
  cv::Mat flow(1, 3, CV_32FC2);
  flow.at<cv::Vec2f>(0, 0) = {0, 0};
  flow.at<cv::Vec2f>(0, 1) = {5, 0};
  flow.at<cv::Vec2f>(0, 2) = {-5, 0};
  const cv::Mat colour = flow_to_colour(flow, 5.0);
  EXPECT_EQ(colour.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
  EXPECT_NE(colour.at<cv::Vec3b>(0, 1), colour.at<cv::Vec3b>(0, 2));
  const cv::Mat depth = (cv::Mat_<float>(1, 3) << 0, 2, 70);
  const cv::Mat depth_colour = depth_to_colour(depth);
  EXPECT_EQ(depth_colour.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0)) << "unknown depth is black";
  EXPECT_NE(depth_colour.at<cv::Vec3b>(0, 1), depth_colour.at<cv::Vec3b>(0, 2));
  const cv::Mat image(4, 4, CV_8UC3, cv::Scalar(0, 0, 0));
  const cv::Mat labels = (cv::Mat_<int>(4, 4) << 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1);
  const cv::Mat drawn = draw_boundaries(image, labels);
  EXPECT_EQ(drawn.at<cv::Vec3b>(2, 1), cv::Vec3b(255, 255, 0));
  EXPECT_EQ(drawn.at<cv::Vec3b>(2, 0), cv::Vec3b(0, 0, 0));
}

}  // namespace
}  // namespace occ::viz
