#include "labels/camera_motion.h"

#include <gtest/gtest.h>

#include "support/frames_builder.h"
#include "support/temp_dir.h"

namespace occ::labels {
namespace {

// Camera looking along ego x (forward): camera z = ego x, camera x = -ego y,
// camera y = -ego z.
const Matrix4 kEgoFromForwardCamera = {0, 0, 1, 0, -1, 0, 0, 0, 0, -1, 0, 1.5, 0, 0, 0, 1};

TEST(CameraMotion, StaticFlowOfASidewaysStepIsHandComputable) {
  CameraView from, to;
  from.size = to.size = cv::Size(64, 48);
  from.intrinsics = to.intrinsics = {100, 0, 32, 0, 100, 24, 0, 0, 1};
  from.world_from_camera = kEgoFromForwardCamera;
  // Ego moves 1 m to the left (+y): a point 10 m ahead appears 10 px further right.
  Matrix4 world_from_ego = test::identity4();
  world_from_ego[7] = 1.0;
  to.world_from_camera = geom::multiply(world_from_ego, kEgoFromForwardCamera);
  const cv::Mat depth(48, 64, CV_32F, cv::Scalar(10.0f));
  const ProjectedFlow flow = project_flow(depth, from, to);
  for (cv::Point p : {cv::Point(0, 0), cv::Point(32, 24), cv::Point(63, 47)}) {
    EXPECT_EQ(flow.known.at<uint8_t>(p), 1);
    EXPECT_NEAR(flow.flow.at<cv::Vec2f>(p)[0], 10.0, 1e-4);
    EXPECT_NEAR(flow.flow.at<cv::Vec2f>(p)[1], 0.0, 1e-4);
    EXPECT_NEAR(flow.depth_at_target.at<float>(p), 10.0, 1e-5);
  }
  // Moving forward 5 m: the point at (u, v) = (42, 24), 1 m right of the axis
  // at 10 m, ends at 5 m depth: u = 32 + 100 * 1 / 5 = 52.
  world_from_ego = test::identity4();
  world_from_ego[3] = 5.0;
  to.world_from_camera = geom::multiply(world_from_ego, kEgoFromForwardCamera);
  const ProjectedFlow forward = project_flow(depth, from, to);
  EXPECT_NEAR(forward.flow.at<cv::Vec2f>(24, 42)[0], 10.0, 1e-4);
  EXPECT_NEAR(forward.depth_at_target.at<float>(24, 42), 5.0, 1e-5);
  // Unknown depth stays unknown.
  cv::Mat holes = depth.clone();
  holes.at<float>(5, 5) = 0;
  EXPECT_EQ(project_flow(holes, from, to).known.at<uint8_t>(5, 5), 0);
}

TEST(CameraMotion, ObjectMotionMovesOnlyItsPixels) {
  CameraView view;
  view.size = cv::Size(64, 48);
  view.intrinsics = {100, 0, 32, 0, 100, 24, 0, 0, 1};
  view.world_from_camera = kEgoFromForwardCamera;
  const cv::Mat depth(48, 64, CV_32F, cv::Scalar(10.0f));
  cv::Mat instance(48, 64, CV_32S, cv::Scalar(-1));
  instance(cv::Rect(0, 0, 32, 48)).setTo(5);
  FramesFile::Box box;
  box.center = {10, 0, 0};
  ObjectMotion motion;
  motion.world_from_box_from = world_from_box(test::identity4(), box);
  box.center = {10, 0.5, 0};  // 0.5 m to the left -> 5 px to the left at 10 m
  motion.world_from_box_to = world_from_box(test::identity4(), box);
  const ProjectedFlow flow = project_flow(depth, view, view, instance, {{5, motion}});
  EXPECT_NEAR(flow.flow.at<cv::Vec2f>(10, 10)[0], -5.0, 1e-4);
  EXPECT_NEAR(flow.flow.at<cv::Vec2f>(10, 50)[0], 0.0, 1e-4) << "background is static";
}

TEST(CameraMotion, LidarDepthKeepsTheNearestPoint) {
  const Matrix3 k = {100, 0, 32, 0, 100, 24, 0, 0, 1};
  // Two points on the optical axis (ego x) at 8 m and 20 m, one behind.
  const std::vector<std::array<float, 4>> points = {{20, 0, 1.5, 0}, {8, 0, 1.5, 0}, {-5, 0, 1.5, 0}};
  const cv::Mat depth = lidar_depth(points, kEgoFromForwardCamera, k, cv::Size(64, 48));
  EXPECT_FLOAT_EQ(depth.at<float>(24, 32), 8.0f);
  EXPECT_EQ(cv::countNonZero(depth), 1);
}

TEST(CameraMotion, MovableMasksFromNamesAndBoxes) {
  const auto movable = movable_classes(test::occ3d_class_names());
  EXPECT_TRUE(movable[4]);    // car
  EXPECT_TRUE(movable[7]);    // pedestrian
  EXPECT_FALSE(movable[8]);   // traffic_cone
  EXPECT_FALSE(movable[15]);  // manmade
  EXPECT_EQ(movable_classes({"Car", "Cyclist", "DontCare"}), (std::vector<bool>{true, true, false}));
  FramesFile::Box car;
  car.center = {10, 0, 1.5};
  car.size_wlh = {2, 4, 2};
  car.class_id = 4;
  FramesFile::Box cone = car;
  cone.center = {10, 5, 1.5};
  cone.class_id = 8;
  const cv::Mat mask = movable_from_boxes({car, cone}, movable, kEgoFromForwardCamera,
                                          {100, 0, 32, 0, 100, 24, 0, 0, 1}, cv::Size(64, 48));
  EXPECT_EQ(mask.at<uint8_t>(24, 32), 1) << "car centre";
  // The car (2 m wide at 8-12 m) spans about u = 32 +- 12.5: pixel 50 is outside.
  EXPECT_EQ(mask.at<uint8_t>(24, 50), 0);
  EXPECT_EQ(mask.at<uint8_t>(24, 0), 0) << "the cone is not movable";
}

TEST(CameraMotion, RigidInverse) {
  const Matrix4 inverse = geom::rigid_inverse(kEgoFromForwardCamera);
  const Matrix4 product = geom::multiply(kEgoFromForwardCamera, inverse);
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(product[i], test::identity4()[i], 1e-12) << i;
}

}  // namespace
}  // namespace occ::labels
