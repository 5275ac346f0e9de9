#include "datasets/synth/shapes.h"

#include <algorithm>
#include <cmath>

namespace occ::synth {
namespace {

using geom::Vec3;

constexpr double kTouch = 1e-6;  // overlaps thinner than this are touching faces

bool hit_box(const Vec3& o, const Vec3& d, const Vec3& half, double t_max, double& t, Vec3& normal) {
  double t_near = 1e-9, t_far = t_max;
  int near_axis = -1;
  double near_sign = 0;
  const double oa[3] = {o.x, o.y, o.z}, da[3] = {d.x, d.y, d.z}, ha[3] = {half.x, half.y, half.z};
  for (int a = 0; a < 3; ++a) {
    if (std::abs(da[a]) < 1e-15) {
      if (oa[a] < -ha[a] || oa[a] > ha[a]) return false;
      continue;
    }
    double t0 = (-ha[a] - oa[a]) / da[a], t1 = (ha[a] - oa[a]) / da[a];
    double sign = -1;
    if (t0 > t1) {
      std::swap(t0, t1);
      sign = 1;
    }
    if (t0 > t_near) {
      t_near = t0;
      near_axis = a;
      near_sign = sign;
    }
    t_far = std::min(t_far, t1);
    if (t_near > t_far) return false;
  }
  if (near_axis < 0) return false;  // origin inside: not a surface hit from outside
  t = t_near;
  normal = {near_axis == 0 ? near_sign : 0, near_axis == 1 ? near_sign : 0, near_axis == 2 ? near_sign : 0};
  return true;
}

bool hit_cylinder(const Vec3& o, const Vec3& d, double radius, double half_height, double t_max, double& t,
                  Vec3& normal) {
  double best = t_max;
  bool found = false;
  // Side: (ox + t dx)^2 + (oy + t dy)^2 = r^2.
  const double a = d.x * d.x + d.y * d.y;
  if (a > 1e-15) {
    const double b = 2 * (o.x * d.x + o.y * d.y);
    const double c = o.x * o.x + o.y * o.y - radius * radius;
    const double disc = b * b - 4 * a * c;
    if (disc >= 0) {
      const double t0 = (-b - std::sqrt(disc)) / (2 * a);
      const double z = o.z + t0 * d.z;
      if (t0 > 1e-9 && t0 < best && std::abs(z) <= half_height) {
        best = t0;
        normal = Vec3{o.x + t0 * d.x, o.y + t0 * d.y, 0}.normalized();
        found = true;
      }
    }
  }
  // Caps.
  if (std::abs(d.z) > 1e-15) {
    for (double cap : {half_height, -half_height}) {
      const double tc = (cap - o.z) / d.z;
      if (tc <= 1e-9 || tc >= best) continue;
      const double x = o.x + tc * d.x, y = o.y + tc * d.y;
      if (x * x + y * y <= radius * radius && (cap > 0 ? o.z > cap : o.z < cap)) {
        best = tc;
        normal = {0, 0, cap > 0 ? 1.0 : -1.0};
        found = true;
      }
    }
  }
  t = best;
  return found;
}

bool hit_spheroid(const Vec3& o, const Vec3& d, double radius, double half_height, double t_max, double& t,
                  Vec3& normal) {
  // Scale z so the spheroid becomes a sphere of `radius`.
  const double s = radius / half_height;
  const Vec3 os{o.x, o.y, o.z * s}, ds{d.x, d.y, d.z * s};
  const double a = ds.dot(ds), b = 2 * os.dot(ds), c = os.dot(os) - radius * radius;
  const double disc = b * b - 4 * a * c;
  if (disc < 0) return false;
  const double t0 = (-b - std::sqrt(disc)) / (2 * a);
  if (t0 <= 1e-9 || t0 >= t_max) return false;
  t = t0;
  const Vec3 p = o + d * t0;
  normal = Vec3{p.x, p.y, p.z * s * s}.normalized();
  return true;
}

bool overlap_1d(double a0, double a1, double b0, double b1) {
  return a0 < b1 - kTouch && b0 < a1 - kTouch;
}

}  // namespace

void Primitive::set_yaw(double new_yaw) {
  yaw = new_yaw;
  cos_yaw = std::cos(new_yaw);
  sin_yaw = std::sin(new_yaw);
}

Vec3 Primitive::to_local(const Vec3& p) const {
  return direction_to_local(p - centre);
}

Vec3 Primitive::direction_to_local(const Vec3& v) const {
  return {cos_yaw * v.x + sin_yaw * v.y, -sin_yaw * v.x + cos_yaw * v.y, v.z};
}

Vec3 Primitive::direction_from_local(const Vec3& v) const {
  return {cos_yaw * v.x - sin_yaw * v.y, sin_yaw * v.x + cos_yaw * v.y, v.z};
}

double Primitive::bounding_radius_xy() const {
  return shape == Shape::box ? std::sqrt(half.x * half.x + half.y * half.y) : half.x;
}

bool Primitive::intersect(const Vec3& origin, const Vec3& direction, double t_max, double& t,
                          Vec3& local_point, Vec3& local_normal) const {
  const Vec3 o = to_local(origin), d = direction_to_local(direction);
  bool hit = false;
  switch (shape) {
    case Shape::box:
      hit = hit_box(o, d, half, t_max, t, local_normal);
      break;
    case Shape::cylinder:
      hit = hit_cylinder(o, d, half.x, half.z, t_max, t, local_normal);
      break;
    case Shape::spheroid:
      hit = hit_spheroid(o, d, half.x, half.z, t_max, t, local_normal);
      break;
  }
  if (hit) local_point = o + d * t;
  return hit;
}

bool Primitive::overlaps_box(const Vec3& lower, const Vec3& upper) const {
  if (!overlap_1d(bottom(), top(), lower.z, upper.z)) return false;
  const double bx = 0.5 * (lower.x + upper.x) - centre.x, by = 0.5 * (lower.y + upper.y) - centre.y;
  const double ex = 0.5 * (upper.x - lower.x), ey = 0.5 * (upper.y - lower.y);
  if (shape == Shape::box) {
    // Separating axes of two rectangles: the voxel's x and y, the box's own two.
    const double c = std::abs(cos_yaw), s = std::abs(sin_yaw);
    if (std::abs(bx) >= ex + c * half.x + s * half.y - kTouch) return false;
    if (std::abs(by) >= ey + s * half.x + c * half.y - kTouch) return false;
    const double lx = cos_yaw * bx + sin_yaw * by, ly = -sin_yaw * bx + cos_yaw * by;
    if (std::abs(lx) >= half.x + c * ex + s * ey - kTouch) return false;
    if (std::abs(ly) >= half.y + s * ex + c * ey - kTouch) return false;
    return true;
  }
  // Nearest point of the voxel to the axis (and, for spheroids, to the
  // centre with z scaled so the spheroid is a sphere).
  const double dx = std::max(0.0, std::abs(bx) - ex), dy = std::max(0.0, std::abs(by) - ey);
  const double r = half.x;
  if (shape == Shape::cylinder) return dx * dx + dy * dy < r * r - kTouch;
  const double s = r / half.z;
  const double z0 = (lower.z - centre.z) * s, z1 = (upper.z - centre.z) * s;
  const double dz = z0 > 0 ? z0 : (z1 < 0 ? -z1 : 0.0);
  return dx * dx + dy * dy + dz * dz < r * r - kTouch;
}

bool Primitive::contains(const Vec3& point) const {
  const Vec3 p = to_local(point);
  switch (shape) {
    case Shape::box:
      return std::abs(p.x) <= half.x && std::abs(p.y) <= half.y && std::abs(p.z) <= half.z;
    case Shape::cylinder:
      return p.x * p.x + p.y * p.y <= half.x * half.x && std::abs(p.z) <= half.z;
    case Shape::spheroid: {
      const double s = half.x / half.z;
      return p.x * p.x + p.y * p.y + p.z * p.z * s * s <= half.x * half.x;
    }
  }
  return false;
}

Primitive transformed(const Primitive& primitive, const geom::Rigid& target_from_source) {
  Primitive result = primitive;
  result.centre = target_from_source.apply(primitive.centre);
  result.set_yaw(primitive.yaw + target_from_source.yaw());
  return result;
}

}  // namespace occ::synth
