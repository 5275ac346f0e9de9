#include "geom/rigid.h"

#include <cmath>

namespace occ::geom {

Rigid Rigid::from_yaw(double yaw, const Vec3& translation) {
  const double c = std::cos(yaw), s = std::sin(yaw);
  Rigid result;
  result.rotation = {c, -s, 0, s, c, 0, 0, 0, 1};
  result.translation = translation;
  return result;
}

Rigid Rigid::from_matrix(const double* m) {
  Rigid result;
  result.rotation = {m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]};
  result.translation = {m[3], m[7], m[11]};
  return result;
}

void Rigid::to_matrix(double* m) const {
  const auto& r = rotation;
  const double values[16] = {r[0], r[1], r[2], translation.x, r[3], r[4], r[5], translation.y,
                             r[6], r[7], r[8], translation.z, 0,    0,    0,    1};
  for (int i = 0; i < 16; ++i) m[i] = values[i];
}

Rigid Rigid::inverse() const {
  Rigid result;
  const auto& r = rotation;
  result.rotation = {r[0], r[3], r[6], r[1], r[4], r[7], r[2], r[5], r[8]};
  result.translation = -result.rotate(translation);
  return result;
}

Rigid Rigid::operator*(const Rigid& other) const {
  Rigid result;
  const auto& a = rotation;
  const auto& b = other.rotation;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      result.rotation[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    }
  }
  result.translation = apply(other.translation);
  return result;
}

double Rigid::yaw() const {
  return std::atan2(rotation[3], rotation[0]);
}

Matrix4 multiply(const Matrix4& a, const Matrix4& b) {
  Matrix4 product = (Rigid::from_matrix(a) * Rigid::from_matrix(b)).matrix();
  // A 4x4 product sums from +0.0 (then adds the zero terms of the last row
  // and column), so it never gives -0.0 where Rigid's sums can; otherwise
  // the two round alike, term by term. Adding +0.0 turns -0.0 into +0.0 and
  // leaves every other value as it is, so poses and boxes written through
  // here keep their bytes.
  for (double& value : product) value += 0.0;
  return product;
}

Matrix4 rigid_inverse(const Matrix4& transform) {
  return Rigid::from_matrix(transform).inverse().matrix();
}

}  // namespace occ::geom
