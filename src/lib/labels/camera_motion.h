#pragma once
// Where a pixel goes between two frames when the world is rigid (static
// flow), or moves with its object's box (true flow in synthetic data), and
// which pixels show movable objects. Used by flow-labels for Let Occ Flow's
// dynamic-ray mask (letoccflow.md: EPE(optical, static) > 8 px AND valid AND
// movable) and for its accuracy report.
#include <opencv2/core.hpp>

#include <array>
#include <vector>

#include "datasets/frames_file.h"
#include "geom/rigid.h"

namespace occ::labels {

// A camera at one frame, with intrinsics scaled to the working image size.
struct CameraView {
  Matrix3 intrinsics{};  // pixel_from_camera at the working size
  Matrix4 world_from_camera{};
  cv::Size size;
};
// `native` is the size the file's intrinsics refer to; `working` the size flow is computed at.
CameraView camera_view(const FramesFile& frames, int64_t frame, int64_t camera, cv::Size native,
                       cv::Size working);

// Maps a world point through an object's motion: the rigid transform that
// carries the box at `from` onto the box at `to` (both world_from_box).
struct ObjectMotion {
  Matrix4 world_from_box_from{};
  Matrix4 world_from_box_to{};
};

// Projects each pixel with depth > 0 into `to`: CV_32FC2 flow and CV_8U mask
// of pixels with a known result (depth known, point in front of `to`).
// `motions` (indexed by instance id) moves pixels of moving objects;
// pass an empty map and no instance image for rigid (static) flow.
struct ProjectedFlow {
  cv::Mat flow;
  cv::Mat known;
  cv::Mat depth_at_target;  // CV_32F z in `to`, for occlusion tests
};
ProjectedFlow project_flow(const cv::Mat& depth, const CameraView& from, const CameraView& to,
                           const cv::Mat& instance = cv::Mat(),
                           const std::vector<std::pair<int, ObjectMotion>>& motions = {});

// Sparse depth (CV_32F, 0 = unknown) from LiDAR points in the ego frame,
// keeping the nearest point per pixel.
cv::Mat lidar_depth(const std::vector<std::array<float, 4>>& points_in_ego, const Matrix4& ego_from_camera,
                    const Matrix3& intrinsics, cv::Size size);

// Class ids whose names are movable objects (vehicles, riders, pedestrians)
// in the Occ3D, SemanticKITTI and KITTI tracking label sets.
std::vector<bool> movable_classes(const std::vector<std::string>& class_names);

// CV_8U mask of pixels inside projected boxes of movable classes.
cv::Mat movable_from_boxes(const std::vector<FramesFile::Box>& boxes, const std::vector<bool>& movable,
                           const Matrix4& ego_from_camera, const Matrix3& intrinsics, cv::Size size);

// world_from_box for a box given in the ego frame of a frame whose pose is world_from_ego.
Matrix4 world_from_box(const Matrix4& world_from_ego, const FramesFile::Box& box);

}  // namespace occ::labels
