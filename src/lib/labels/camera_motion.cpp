#include "labels/camera_motion.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

namespace occ::labels {

using geom::multiply;
using geom::rigid_inverse;

namespace {

struct Point3 {
  double x, y, z;
};

Point3 apply(const Matrix4& m, const Point3& p) {
  return {m[0] * p.x + m[1] * p.y + m[2] * p.z + m[3], m[4] * p.x + m[5] * p.y + m[6] * p.z + m[7],
          m[8] * p.x + m[9] * p.y + m[10] * p.z + m[11]};
}

}  // namespace

CameraView camera_view(const FramesFile& frames, int64_t frame, int64_t camera, cv::Size native,
                       cv::Size working) {
  CameraView view;
  view.size = working;
  view.intrinsics = frames.intrinsics(frame, camera);
  const double sx = static_cast<double>(working.width) / native.width;
  const double sy = static_cast<double>(working.height) / native.height;
  // Pixel centres stay centres under resizing: u' = (u + 0.5) s - 0.5.
  view.intrinsics[0] *= sx;
  view.intrinsics[1] *= sx;
  view.intrinsics[2] = (view.intrinsics[2] + 0.5) * sx - 0.5;
  view.intrinsics[4] *= sy;
  view.intrinsics[5] = (view.intrinsics[5] + 0.5) * sy - 0.5;
  view.world_from_camera =
      multiply(frames.world_from_ego(frame, camera), frames.ego_from_camera(frame, camera));
  return view;
}

ProjectedFlow project_flow(const cv::Mat& depth, const CameraView& from, const CameraView& to,
                           const cv::Mat& instance,
                           const std::vector<std::pair<int, ObjectMotion>>& motions) {
  CV_Assert(depth.type() == CV_32F && depth.size() == from.size);
  ProjectedFlow result;
  result.flow = cv::Mat::zeros(depth.size(), CV_32FC2);
  result.known = cv::Mat::zeros(depth.size(), CV_8U);
  result.depth_at_target = cv::Mat::zeros(depth.size(), CV_32F);
  const Matrix4 to_from_world = rigid_inverse(to.world_from_camera);
  const Matrix4 rigid = multiply(to_from_world, from.world_from_camera);
  // Per moving instance: camera_to <- world <- box_to <- box_from <- world <- camera_from.
  std::vector<std::pair<int, Matrix4>> moving;
  for (const auto& [id, motion] : motions) {
    const Matrix4 world_motion =
        multiply(motion.world_from_box_to, rigid_inverse(motion.world_from_box_from));
    moving.emplace_back(id, multiply(to_from_world, multiply(world_motion, from.world_from_camera)));
  }
  const auto& k = from.intrinsics;
  const auto& k_to = to.intrinsics;
  for (int v = 0; v < depth.rows; ++v) {
    const float* z = depth.ptr<float>(v);
    const int* ids = instance.empty() ? nullptr : instance.ptr<int>(v);
    auto* flow = result.flow.ptr<cv::Vec2f>(v);
    uint8_t* known = result.known.ptr<uint8_t>(v);
    float* z_to = result.depth_at_target.ptr<float>(v);
    for (int u = 0; u < depth.cols; ++u) {
      if (!(z[u] > 0) || !std::isfinite(z[u])) continue;
      // Back-project with the pinhole model (skew k[1] included).
      const double y_cam = (v - k[5]) / k[4];
      const double x_cam = (u - k[2] - k[1] * y_cam) / k[0];
      const Point3 in_from{x_cam * z[u], y_cam * z[u], static_cast<double>(z[u])};
      const Matrix4* transform = &rigid;
      if (ids && ids[u] >= 0) {
        for (const auto& [id, matrix] : moving) {
          if (id == ids[u]) transform = &matrix;
        }
      }
      const Point3 p = apply(*transform, in_from);
      if (p.z < 1e-3) continue;
      const double u_to = k_to[0] * p.x / p.z + k_to[1] * p.y / p.z + k_to[2];
      const double v_to = k_to[4] * p.y / p.z + k_to[5];
      flow[u] = cv::Vec2f(static_cast<float>(u_to - u), static_cast<float>(v_to - v));
      z_to[u] = static_cast<float>(p.z);
      known[u] = 1;
    }
  }
  return result;
}

cv::Mat lidar_depth(const std::vector<std::array<float, 4>>& points_in_ego, const Matrix4& ego_from_camera,
                    const Matrix3& k, cv::Size size) {
  cv::Mat depth = cv::Mat::zeros(size, CV_32F);
  const Matrix4 camera_from_ego = rigid_inverse(ego_from_camera);
  for (const auto& point : points_in_ego) {
    const Point3 p = apply(camera_from_ego, {point[0], point[1], point[2]});
    if (p.z < 0.1) continue;
    const int u = static_cast<int>(std::lround(k[0] * p.x / p.z + k[1] * p.y / p.z + k[2]));
    const int v = static_cast<int>(std::lround(k[4] * p.y / p.z + k[5]));
    if (u < 0 || v < 0 || u >= size.width || v >= size.height) continue;
    float& d = depth.at<float>(v, u);
    if (d == 0 || p.z < d) d = static_cast<float>(p.z);
  }
  return depth;
}

std::vector<bool> movable_classes(const std::vector<std::string>& class_names) {
  static const std::set<std::string> movable = {
      // Occ3D-nuScenes
      "bicycle", "bus", "car", "construction_vehicle", "motorcycle", "pedestrian", "trailer", "truck",
      // SemanticKITTI
      "other-vehicle", "person", "bicyclist", "motorcyclist",
      // KITTI tracking
      "van", "person_sitting", "cyclist", "tram"};
  std::vector<bool> result;
  for (std::string name : class_names) {
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    result.push_back(movable.count(name) > 0);
  }
  return result;
}

Matrix4 world_from_box(const Matrix4& world_from_ego, const FramesFile::Box& box) {
  const double c = std::cos(box.yaw), s = std::sin(box.yaw);
  const Matrix4 ego_from_box = {c, -s, 0, box.center[0], s, c, 0, box.center[1],
                                0, 0,  1, box.center[2], 0, 0, 0, 1};
  return multiply(world_from_ego, ego_from_box);
}

cv::Mat movable_from_boxes(const std::vector<FramesFile::Box>& boxes, const std::vector<bool>& movable,
                           const Matrix4& ego_from_camera, const Matrix3& k, cv::Size size) {
  cv::Mat mask = cv::Mat::zeros(size, CV_8U);
  const Matrix4 camera_from_ego = rigid_inverse(ego_from_camera);
  for (const auto& box : boxes) {
    if (box.class_id < 0 || box.class_id >= static_cast<int>(movable.size()) || !movable[box.class_id])
      continue;
    const double c = std::cos(box.yaw), s = std::sin(box.yaw);
    std::vector<cv::Point> corners;
    for (int corner = 0; corner < 8; ++corner) {
      // size_wlh: width across (box y), length along (box x), height (z).
      const double dx = ((corner & 1) ? 0.5 : -0.5) * box.size_wlh[1];
      const double dy = ((corner & 2) ? 0.5 : -0.5) * box.size_wlh[0];
      const double dz = ((corner & 4) ? 0.5 : -0.5) * box.size_wlh[2];
      const Point3 in_ego{box.center[0] + c * dx - s * dy, box.center[1] + s * dx + c * dy,
                          box.center[2] + dz};
      const Point3 p = apply(camera_from_ego, in_ego);
      // Corners behind the camera are dropped: the hull of the rest is a
      // conservative outline of a box the camera partly sees.
      if (p.z < 0.1) continue;
      corners.emplace_back(static_cast<int>(std::lround(k[0] * p.x / p.z + k[1] * p.y / p.z + k[2])),
                           static_cast<int>(std::lround(k[4] * p.y / p.z + k[5])));
    }
    if (corners.size() < 3) continue;
    std::vector<cv::Point> hull;
    cv::convexHull(corners, hull);
    cv::fillConvexPoly(mask, hull, cv::Scalar(1));
  }
  return mask;
}

}  // namespace occ::labels
