#pragma once
// Rigid transforms (rotation + translation). Names follow <target>_from_<source>:
// ego_from_camera.apply(point_in_camera) is the point in the ego frame.
// Files keep transforms as row-major 4x4 matrices (Matrix4); the free
// functions below are the one place their algebra is written.
#include <array>

#include "geom/vec3.h"

namespace occ::geom {

// Row-major 4x4, last row 0 0 0 1: the layout of /frames/world_from_ego,
// /cameras/ego_from_camera and the dataset poses.
using Matrix4 = std::array<double, 16>;

struct Rigid {
  std::array<double, 9> rotation{1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major 3x3
  Vec3 translation;

  static Rigid identity() { return {}; }
  // Rotation by `yaw` about z, then translation: poses of a flat-ground world.
  static Rigid from_yaw(double yaw, const Vec3& translation);
  // From a 4x4 row-major matrix (the layout of /frames/world_from_ego).
  static Rigid from_matrix(const double* matrix4x4);
  static Rigid from_matrix(const Matrix4& matrix) { return from_matrix(matrix.data()); }
  void to_matrix(double* matrix4x4) const;
  Matrix4 matrix() const {
    Matrix4 m;
    to_matrix(m.data());
    return m;
  }

  Vec3 apply(const Vec3& point) const { return rotate(point) + translation; }
  Vec3 rotate(const Vec3& v) const {
    const auto& r = rotation;
    return {r[0] * v.x + r[1] * v.y + r[2] * v.z, r[3] * v.x + r[4] * v.y + r[5] * v.z,
            r[6] * v.x + r[7] * v.y + r[8] * v.z};
  }
  Rigid inverse() const;
  // (a * b).apply(p) == a.apply(b.apply(p))
  Rigid operator*(const Rigid& other) const;
  // Heading of the x axis in the xy plane, radians.
  double yaw() const;
};

// a * b of two 4x4 transforms with last row 0 0 0 1 (rigid ones, or KITTI's
// calibrations that are orthonormal only to their printed digits): what
// Rigid's product gives, with -0.0 written as +0.0 as the plain 4x4 product
// that computed every file so far did.
Matrix4 multiply(const Matrix4& a, const Matrix4& b);
// [R t]^-1 = [R^T, -R^T t]: exact only for an orthonormal R.
Matrix4 rigid_inverse(const Matrix4& transform);

}  // namespace occ::geom
