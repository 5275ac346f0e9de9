#include "datasets/sensor_files.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>

#include "core/error.h"
#include "core/strings.h"

namespace occ::datasets {

std::vector<float> read_pcd_points(const std::string& path, const std::array<double, 16>& ego_from_lidar) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw IoError(str("cannot open LiDAR scan ", occ::quoted(path)));
  const auto bytes = static_cast<size_t>(in.tellg());
  // .pcd.bin: float32 x, y, z, intensity, ring per point (formats.md).
  constexpr size_t kPointBytes = 5 * sizeof(float);
  if (bytes % kPointBytes != 0) {
    throw FormatError(str("LiDAR scan ", occ::quoted(path), " is truncated: ", bytes,
                          " bytes is not a whole number of 5-float points"));
  }
  std::vector<float> raw(bytes / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(bytes));
  if (!in) throw IoError(str("cannot read LiDAR scan ", occ::quoted(path)));
  std::vector<float> points;
  points.reserve(raw.size() / 5 * 4);
  const auto& m = ego_from_lidar;
  for (size_t i = 0; i + 4 < raw.size(); i += 5) {
    const double x = raw[i], y = raw[i + 1], z = raw[i + 2];
    points.push_back(float(m[0] * x + m[1] * y + m[2] * z + m[3]));
    points.push_back(float(m[4] * x + m[5] * y + m[6] * z + m[7]));
    points.push_back(float(m[8] * x + m[9] * y + m[10] * z + m[11]));
    points.push_back(raw[i + 3]);
  }
  return points;
}

std::vector<float> read_kitti_scan(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw IoError(str("cannot open LiDAR scan ", occ::quoted(path)));
  const auto bytes = static_cast<size_t>(in.tellg());
  constexpr size_t kPointBytes = 4 * sizeof(float);
  if (bytes % kPointBytes != 0) {
    throw FormatError(str("LiDAR scan ", occ::quoted(path), " is truncated: ", bytes,
                          " bytes is not a whole number of 4-float points"));
  }
  std::vector<float> points(bytes / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(points.data()), static_cast<std::streamsize>(bytes));
  if (!in) throw IoError(str("cannot read LiDAR scan ", occ::quoted(path)));
  return points;
}

std::vector<uint8_t> read_resized_rgb(const std::string& path, int height, int width, double& scale_x,
                                      double& scale_y) {
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) throw FormatError(str("cannot decode image ", occ::quoted(path)));
  cv::Mat resized, rgb;
  cv::resize(bgr, resized, cv::Size(width, height), 0, 0, cv::INTER_AREA);
  cv::cvtColor(resized, rgb, cv::COLOR_BGR2RGB);
  scale_x = double(width) / bgr.cols;
  scale_y = double(height) / bgr.rows;
  return std::vector<uint8_t>(rgb.datastart, rgb.dataend);
}

}  // namespace occ::datasets
