#pragma once
// A pinhole camera: intrinsics at a stored image size and its pose on the
// vehicle. Camera frame: x right, y down, z forward. Pixel (col, row) covers
// [col, col+1) x [row, row+1), so its centre is at (col + 0.5, row + 0.5).
#include <array>
#include <string>

#include "geom/rigid.h"

namespace occ::geom {

struct PinholeCamera {
  std::string name;
  double fx = 1, fy = 1, cx = 0, cy = 0;
  int width = 0, height = 0;
  Rigid ego_from_camera;

  // The same camera at another image size: K' = diag(sx, sy, 1) K with
  // sx = width'/width, sy = height'/height, as mmdetection3d rescales cam2img
  // when it resizes images.
  PinholeCamera resized(int new_width, int new_height) const;
  std::array<double, 9> intrinsics() const { return {fx, 0, cx, 0, fy, cy, 0, 0, 1}; }

  // Direction (not normalised, z = 1) of the ray through image point (u, v).
  Vec3 ray_in_camera(double u, double v) const { return {(u - cx) / fx, (v - cy) / fy, 1.0}; }
  // Image point of a camera-frame point; false behind the camera.
  bool project(const Vec3& point_in_camera, double& u, double& v) const {
    if (point_in_camera.z <= 1e-6) return false;
    u = fx * point_in_camera.x / point_in_camera.z + cx;
    v = fy * point_in_camera.y / point_in_camera.z + cy;
    return true;
  }
  bool inside_image(double u, double v) const { return u >= 0 && v >= 0 && u < width && v < height; }
};

}  // namespace occ::geom
