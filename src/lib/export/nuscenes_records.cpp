#include "export/nuscenes_records.h"

#include <cmath>
#include <cstdio>

namespace occ::exporting {
namespace {

uint64_t fnv1a(const std::string& text, uint64_t seed) {
  uint64_t hash = 14695981039346656037ull ^ seed;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::string nuscenes_token(const std::string& key) {
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(fnv1a(key, 0)),
                static_cast<unsigned long long>(fnv1a(key, 0x9e3779b97f4a7c15ull)));
  return text;
}

std::array<double, 4> rotation_quaternion(const Matrix4d& m) {
  // Shepperd's method: divide by the largest of the four candidates.
  const double r00 = m[0], r01 = m[1], r02 = m[2], r10 = m[4], r11 = m[5], r12 = m[6], r20 = m[8], r21 = m[9],
               r22 = m[10];
  const double trace = r00 + r11 + r22;
  std::array<double, 4> q{};
  if (trace > 0) {
    const double s = std::sqrt(trace + 1.0) * 2;
    q = {0.25 * s, (r21 - r12) / s, (r02 - r20) / s, (r10 - r01) / s};
  } else if (r00 > r11 && r00 > r22) {
    const double s = std::sqrt(1.0 + r00 - r11 - r22) * 2;
    q = {(r21 - r12) / s, 0.25 * s, (r01 + r10) / s, (r02 + r20) / s};
  } else if (r11 > r22) {
    const double s = std::sqrt(1.0 + r11 - r00 - r22) * 2;
    q = {(r02 - r20) / s, (r01 + r10) / s, 0.25 * s, (r12 + r21) / s};
  } else {
    const double s = std::sqrt(1.0 + r22 - r00 - r11) * 2;
    q = {(r10 - r01) / s, (r02 + r20) / s, (r12 + r21) / s, 0.25 * s};
  }
  if (q[0] < 0) {
    for (double& value : q) value = -value;
  }
  const double norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  for (double& value : q) value /= norm;
  return q;
}

nlohmann::json pose_json(const Matrix4d& transform) {
  const auto q = rotation_quaternion(transform);
  return {{"translation", {transform[3], transform[7], transform[11]}},
          {"rotation", {q[0], q[1], q[2], q[3]}}};
}

nlohmann::json visibility_table() {
  nlohmann::json table = nlohmann::json::array();
  const char* levels[4][2] = {{"v0-40", "visibility of whole object is between 0 and 40%"},
                              {"v40-60", "visibility of whole object is between 40 and 60%"},
                              {"v60-80", "visibility of whole object is between 60 and 80%"},
                              {"v80-100", "visibility of whole object is between 80 and 100%"}};
  for (int i = 0; i < 4; ++i) {
    table.push_back(
        {{"token", std::to_string(i + 1)}, {"level", levels[i][0]}, {"description", levels[i][1]}});
  }
  return table;
}

}  // namespace occ::exporting
