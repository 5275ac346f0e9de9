#include "datasets/semantickitti.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/kitti_tracking.h"

namespace occ::datasets {
namespace {

std::ifstream open_file(const std::string& path, const std::string& what,
                        std::ios::openmode mode = std::ios::in) {
  std::ifstream in(path, mode);
  if (!in) throw IoError(str("cannot open SemanticKITTI ", what, " ", occ::quoted(path), ": no such file"));
  return in;
}

std::string read_bytes(const std::string& path, const std::string& what, size_t expected) {
  std::ifstream in = open_file(path, what, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() != expected) {
    throw FormatError(str("SemanticKITTI ", what, " ", occ::quoted(path), " has ", bytes.size(),
                          " bytes, not ", expected, bytes.size() < expected ? " (truncated)" : ""));
  }
  return bytes;
}

}  // namespace

SemanticKittiCalibration read_semantickitti_calibration(const std::string& path) {
  std::ifstream in = open_file(path, "calibration");
  std::map<std::string, std::vector<double>> values;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    if (!(fields >> key)) continue;
    if (key.back() == ':') key.pop_back();
    double value = 0;
    while (fields >> value) values[key].push_back(value);
  }
  auto get = [&](const std::string& key) {
    const auto found = values.find(key);
    if (found == values.end() || found->second.size() != 12) {
      throw FormatError(str(occ::quoted(path), " has no 12-number ", occ::quoted(key), " line"));
    }
    return found->second;
  };
  const auto p2 = get("P2"), tr = get("Tr");
  SemanticKittiCalibration calibration;
  calibration.intrinsics = intrinsics_of_projection(p2);
  calibration.cam0_from_velo = {tr[0], tr[1], tr[2],  tr[3],  tr[4], tr[5], tr[6], tr[7],
                                tr[8], tr[9], tr[10], tr[11], 0,     0,     0,     1};
  // Odometry images are rectified: P2 = K [I | t] in cam0 coordinates.
  const Matrix4 camera_from_cam0 = camera_from_rectified(p2);
  calibration.ego_from_camera = affine_inverse(multiply(camera_from_cam0, calibration.cam0_from_velo));
  if (values.count("P3") > 0) calibration.stereo_baseline_m = stereo_baseline(p2, get("P3"), path);
  return calibration;
}

std::vector<Matrix4> read_semantickitti_poses(const std::string& path) {
  std::ifstream in = open_file(path, "poses");
  std::vector<Matrix4> poses;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<double> v;
    double value = 0;
    while (fields >> value) v.push_back(value);
    if (v.empty()) continue;
    if (v.size() != 12) {
      throw FormatError(
          str("line ", poses.size() + 1, " of ", occ::quoted(path), " has ", v.size(), " numbers, not 12"));
    }
    poses.push_back({v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], 0, 0, 0, 1});
  }
  return poses;
}

std::vector<int64_t> read_semantickitti_times(const std::string& path) {
  std::ifstream in = open_file(path, "times");
  std::vector<int64_t> times;
  double seconds = 0;
  while (in >> seconds) times.push_back(static_cast<int64_t>(std::llround(seconds * 1e6)));
  if (!in.eof()) throw FormatError(str(occ::quoted(path), " holds something other than seconds"));
  return times;
}

std::vector<uint8_t> read_packed_voxels(const std::string& path, int64_t voxels) {
  const std::string bytes = read_bytes(path, "voxel file", size_t((voxels + 7) / 8));
  std::vector<uint8_t> values(static_cast<size_t>(voxels));
  for (size_t i = 0; i < values.size(); ++i) values[i] = (uint8_t(bytes[i / 8]) >> (7 - i % 8)) & 1;
  return values;
}

std::vector<uint16_t> read_voxel_labels(const std::string& path, int64_t voxels) {
  const std::string bytes = read_bytes(path, "voxel labels", size_t(voxels) * 2);
  std::vector<uint16_t> labels(static_cast<size_t>(voxels));
  for (size_t i = 0; i < labels.size(); ++i)
    labels[i] = uint16_t(uint8_t(bytes[2 * i]) | (uint16_t(uint8_t(bytes[2 * i + 1])) << 8));
  return labels;
}

const std::map<int, int>& semantickitti_learning_map() {
  // PRBonn/semantic-kitti-api config/semantic-kitti.yaml, learning_map.
  static const std::map<int, int> map = {{0, 0},   {1, 0},   {10, 1},  {11, 2},  {13, 5},  {15, 3},  {16, 5},
                                         {18, 4},  {20, 5},  {30, 6},  {31, 7},  {32, 8},  {40, 9},  {44, 10},
                                         {48, 11}, {49, 12}, {50, 13}, {51, 14}, {52, 0},  {60, 9},  {70, 15},
                                         {71, 16}, {72, 17}, {80, 18}, {81, 19}, {99, 0},  {252, 1}, {253, 7},
                                         {254, 6}, {255, 8}, {256, 5}, {257, 5}, {258, 4}, {259, 5}};
  return map;
}

}  // namespace occ::datasets
