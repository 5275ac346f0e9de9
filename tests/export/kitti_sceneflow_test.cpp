// KITTI scene-flow maps from rendered depth and flow (export/kitti_sceneflow.h),
// against answers worked out by hand for a camera looking along ego x.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include <cmath>

#include "export/kitti_sceneflow.h"

namespace occ::exporting {
namespace {

// Camera (x right, y down, z forward) in the ego frame (x forward, y left,
// z up): ego x = camera z, ego y = -camera x, ego z = -camera y.
constexpr geom::Matrix4 kForwardCamera{0, 0, 1, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 1};
constexpr geom::Matrix4 kIdentity{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
const KittiCamera kCamera{{100, 0, 50, 0, 100, 25, 0, 0, 1}, kForwardCamera};

float at(const std::vector<float>& values, int u, int v) {
  return values[static_cast<size_t>(v * 100 + u)];
}

TEST(KittiSceneFlow, DisparityIsFocalTimesBaselineOverDepthAndAMovedPointShiftsTheFlow) {
  // Depth 10 m everywhere, every point moved 1 m to the right (ego y -1).
  const cv::Mat depth(50, 100, CV_32F, cv::Scalar(10.0f));
  const cv::Mat flow(50, 100, CV_32FC2, cv::Scalar(0.0f, -1.0f));
  const KittiSceneFlowMaps maps =
      kitti_scene_flow_maps(depth, flow, 100, 50, kCamera, kCamera, kIdentity, 0.5);
  // d = 100 * 0.5 / 10 = 5 px at t and t + 1 (the point stays at 10 m).
  EXPECT_FLOAT_EQ(at(maps.disparity_0.values, 7, 3), 5.0f);
  EXPECT_FLOAT_EQ(at(maps.disparity_1.values, 93, 40), 5.0f);
  // 1 m right at 10 m depth: 100 * 1 / 10 = 10 px along u, none along v.
  const size_t i = 20 * 100 + 60;
  EXPECT_NEAR(maps.flow.u[i], 10.0, 1e-4);
  EXPECT_NEAR(maps.flow.v[i], 0.0, 1e-4);
  EXPECT_EQ(maps.flow.valid[i], 1);
}

TEST(KittiSceneFlow, EgoMotionMovesStaticPointsAwayFromTheFocusOfExpansion) {
  // The ego drives 1 m forward: a static point at 10 m is 9 m ahead in the
  // next frame. u' = 100 x / 9 + 50 with x = (u - 50) 10 / 100: flow
  // (u - 50) / 9 along u, (v - 25) / 9 along v; d' = 50 / 9.
  const cv::Mat depth(50, 100, CV_32F, cv::Scalar(10.0f));
  const cv::Mat flow(50, 100, CV_32FC2, cv::Scalar(0.0f, 0.0f));
  geom::Matrix4 next_from_current = kIdentity;
  next_from_current[3] = -1.0;
  // The rendered maps at half the output size: the same answers.
  cv::Mat half_depth, half_flow;
  cv::resize(depth, half_depth, cv::Size(50, 25));
  cv::resize(flow, half_flow, cv::Size(50, 25));
  for (const auto& [d, f] : {std::pair{depth, flow}, std::pair{half_depth, half_flow}}) {
    const KittiSceneFlowMaps maps =
        kitti_scene_flow_maps(d, f, 100, 50, kCamera, kCamera, next_from_current, 0.5);
    const size_t i = 43 * 100 + 95;
    EXPECT_NEAR(maps.flow.u[i], 45.0 / 9, 1e-4);
    EXPECT_NEAR(maps.flow.v[i], 18.0 / 9, 1e-4);
    EXPECT_NEAR(maps.disparity_1.values[i], 50.0 / 9, 1e-4);
    EXPECT_NEAR(maps.flow.u[25 * 100 + 50], 0.0, 1e-4);  // the principal point stays
  }
}

TEST(KittiSceneFlow, NoDepthOrAPointBehindTheNextCameraIsInvalid) {
  cv::Mat depth(50, 100, CV_32F, cv::Scalar(10.0f));
  depth.at<float>(5, 5) = 0.0f;
  const cv::Mat flow(50, 100, CV_32FC2, cv::Scalar(-20.0f, 0.0f));  // 20 m back: behind the camera
  const KittiSceneFlowMaps maps =
      kitti_scene_flow_maps(depth, flow, 100, 50, kCamera, kCamera, kIdentity, 0.5);
  EXPECT_LT(at(maps.disparity_0.values, 5, 5), 0.0f);
  EXPECT_EQ(maps.flow.valid[5 * 100 + 5], 0);
  // Disparity at t stays; flow and disparity at t + 1 do not exist.
  EXPECT_FLOAT_EQ(at(maps.disparity_0.values, 30, 30), 5.0f);
  EXPECT_EQ(maps.flow.valid[30 * 100 + 30], 0);
  EXPECT_LT(at(maps.disparity_1.values, 30, 30), 0.0f);
}

TEST(KittiSceneFlow, FilesAreNamedByTokenWithTheReferenceFrameSuffix) {
  EXPECT_EQ(kitti_sceneflow_name("0001/000010"), "0001_000010_10.png");
  EXPECT_EQ(kitti_sceneflow_name("000042"), "000042_10.png");
}

}  // namespace
}  // namespace occ::exporting
