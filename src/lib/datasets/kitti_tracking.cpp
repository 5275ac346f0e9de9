#include "datasets/kitti_tracking.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"

namespace occ::datasets {
namespace {

std::ifstream open_text(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw IoError(str("cannot open KITTI ", what, " ", occ::quoted(path), ": no such file"));
  return in;
}

Matrix4 from_3x4(const std::vector<double>& v) {
  return {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], 0, 0, 0, 1};
}

}  // namespace

Matrix4 affine_inverse(const Matrix4& m) {
  const double a = m[0], b = m[1], c = m[2], d = m[4], e = m[5], f = m[6], g = m[8], h = m[9], i = m[10];
  const double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (std::abs(det) < 1e-12) throw FormatError("a KITTI transform is singular");
  const double inv[9] = {(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
                         (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
                         (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det};
  Matrix4 out{};
  for (int r = 0; r < 3; ++r) {
    for (int k = 0; k < 3; ++k) out[size_t(r * 4 + k)] = inv[r * 3 + k];
    out[size_t(r * 4 + 3)] = -(inv[r * 3] * m[3] + inv[r * 3 + 1] * m[7] + inv[r * 3 + 2] * m[11]);
  }
  out[15] = 1;
  return out;
}

KittiCalibration read_kitti_calibration(const std::string& path) {
  std::ifstream in = open_text(path, "calibration");
  // Official tracking names first, object-detection names after the arrow.
  const std::map<std::string, std::string> aliases = {
      {"R_rect", "R0_rect"}, {"Tr_velo_cam", "Tr_velo_to_cam"}, {"Tr_imu_velo", "Tr_imu_to_velo"}};
  std::map<std::string, std::vector<double>> values;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    if (!(fields >> key)) continue;
    if (!key.empty() && key.back() == ':') key.pop_back();
    const auto alias = aliases.find(key);
    if (alias != aliases.end()) key = alias->second;
    double value = 0;
    while (fields >> value) values[key].push_back(value);
  }
  auto get = [&](const std::string& key, size_t count) {
    const auto found = values.find(key);
    if (found == values.end() || found->second.size() != count) {
      throw FormatError(str(occ::quoted(path), " has no ", count, "-number ", occ::quoted(key), " line"));
    }
    return found->second;
  };
  const auto p2 = get("P2", 12), r0 = get("R0_rect", 9);
  KittiCalibration calibration;
  calibration.intrinsics = intrinsics_of_projection(p2);
  const Matrix4 rect{r0[0], r0[1], r0[2], 0, r0[3], r0[4], r0[5], 0, r0[6], r0[7], r0[8], 0, 0, 0, 0, 1};
  calibration.rect_from_velo = multiply(rect, from_3x4(get("Tr_velo_to_cam", 12)));
  calibration.velo_from_imu = from_3x4(get("Tr_imu_to_velo", 12));
  const Matrix4 camera_from_rect = camera_from_rectified(p2);
  calibration.ego_from_camera = affine_inverse(multiply(camera_from_rect, calibration.rect_from_velo));
  if (values.count("P3") > 0) calibration.stereo_baseline_m = stereo_baseline(p2, get("P3", 12), path);
  return calibration;
}

std::array<double, 9> intrinsics_of_projection(const std::vector<double>& p) {
  return {p[0], p[1], p[2], p[4], p[5], p[6], p[8], p[9], p[10]};
}

std::vector<int64_t> numbered_files(const std::string& folder, const std::string& extension,
                                    const std::string& what) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(folder)) throw IoError(str("cannot open ", occ::quoted(folder), ": no such folder"));
  std::vector<int64_t> numbers;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != extension) continue;
    try {
      numbers.push_back(std::stoll(entry.path().stem().string()));
    } catch (const std::exception&) {
      throw FormatError(str(what, " ", occ::quoted(entry.path().string()), " is not named by a number"));
    }
  }
  std::sort(numbers.begin(), numbers.end());
  if (numbers.empty()) throw FormatError(str(occ::quoted(folder), " holds no ", extension, " files"));
  return numbers;
}

Matrix4 camera_from_rectified(const std::vector<double>& p) {
  const Matrix4 k4{p[0], p[1], p[2], 0, p[4], p[5], p[6], 0, p[8], p[9], p[10], 0, 0, 0, 0, 1};
  const Matrix4 k_inverse = affine_inverse(k4);
  Matrix4 camera_from_rect{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
  for (size_t r = 0; r < 3; ++r) {
    camera_from_rect[r * 4 + 3] =
        k_inverse[r * 4] * p[3] + k_inverse[r * 4 + 1] * p[7] + k_inverse[r * 4 + 2] * p[11];
  }
  return camera_from_rect;
}

double stereo_baseline(const std::vector<double>& p2, const std::vector<double>& p3,
                       const std::string& path) {
  if (!(p2[0] > 0)) throw FormatError(str(occ::quoted(path), " has a P2 with focal length ", p2[0]));
  const double baseline = (p2[3] - p3[3]) / p2[0];
  if (!(baseline > 0))
    throw FormatError(str(occ::quoted(path), ": P2 and P3 give a stereo baseline of ", baseline,
                          " m (camera 3 must lie right of camera 2)"));
  return baseline;
}

std::vector<Matrix4> read_kitti_oxts_poses(const std::string& path) {
  std::ifstream in = open_text(path, "oxts");
  constexpr double kEarthRadius = 6378137.0;  // devkit latlonToMercator
  std::vector<Matrix4> poses;
  double scale = 0;
  Matrix4 first_inverse{};
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream fields(line);
    std::vector<double> v;
    double value = 0;
    while (fields >> value) v.push_back(value);
    if (v.empty()) continue;
    if (v.size() != 30) {
      throw FormatError(
          str("line ", number, " of ", occ::quoted(path), " has ", v.size(), " values, not 30"));
    }
    const double lat = v[0], lon = v[1], alt = v[2], roll = v[3], pitch = v[4], yaw = v[5];
    if (poses.empty()) scale = std::cos(lat * M_PI / 180.0);
    const double x = scale * lon * M_PI * kEarthRadius / 180.0;
    const double y = scale * kEarthRadius * std::log(std::tan((90.0 + lat) * M_PI / 360.0));
    const double cr = std::cos(roll), sr = std::sin(roll), cp = std::cos(pitch), sp = std::sin(pitch);
    const double cy = std::cos(yaw), sy = std::sin(yaw);
    // R = Rz(yaw) * Ry(pitch) * Rx(roll)
    const Matrix4 pose{cy * cp,
                       cy * sp * sr - sy * cr,
                       cy * sp * cr + sy * sr,
                       x,
                       sy * cp,
                       sy * sp * sr + cy * cr,
                       sy * sp * cr - cy * sr,
                       y,
                       -sp,
                       cp * sr,
                       cp * cr,
                       alt,
                       0,
                       0,
                       0,
                       1};
    if (poses.empty()) first_inverse = affine_inverse(pose);
    poses.push_back(multiply(first_inverse, pose));
  }
  if (poses.empty()) throw FormatError(str(occ::quoted(path), " has no oxts lines"));
  return poses;
}

std::vector<KittiLabel> read_kitti_labels(const std::string& path) {
  std::ifstream in = open_text(path, "labels");
  std::vector<KittiLabel> labels;
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream fields(line);
    KittiLabel label;
    double truncated = 0, alpha = 0, box2d[4];
    int occluded = 0;
    if (!(fields >> label.frame)) continue;  // blank line
    fields >> label.track >> label.type >> truncated >> occluded >> alpha >> box2d[0] >> box2d[1] >>
        box2d[2] >> box2d[3] >> label.size_hwl[0] >> label.size_hwl[1] >> label.size_hwl[2] >>
        label.bottom_in_rect[0] >> label.bottom_in_rect[1] >> label.bottom_in_rect[2] >> label.rotation_y;
    if (!fields) {
      throw FormatError(
          str("line ", number, " of ", occ::quoted(path), " is not a KITTI tracking label (17 fields)"));
    }
    if (label.type == "DontCare") continue;
    labels.push_back(label);
  }
  return labels;
}

const std::vector<std::string>& semantickitti_class_names() {
  // semantic-kitti.yaml learning_map_inv order; 0 = unlabeled = free.
  static const std::vector<std::string> names = {
      "unlabeled", "car",          "bicycle", "motorcycle", "truck",    "other-vehicle", "person",
      "bicyclist", "motorcyclist", "road",    "parking",    "sidewalk", "other-ground",  "building",
      "fence",     "vegetation",   "trunk",   "terrain",    "pole",     "traffic-sign"};
  return names;
}

int semantickitti_class_of_kitti_type(const std::string& type) {
  // SemanticKITTI labels vans as cars and trams (on-rails) and other large
  // vehicles as other-vehicle; a cyclist is the rider-with-bicycle class.
  static const std::map<std::string, int> mapping = {
      {"Car", 1},     {"Van", 1},  {"Truck", 4}, {"Pedestrian", 6}, {"Person_sitting", 6},
      {"Cyclist", 7}, {"Tram", 5}, {"Misc", 5}};
  const auto found = mapping.find(type);
  return found == mapping.end() ? -1 : found->second;
}

}  // namespace occ::datasets
