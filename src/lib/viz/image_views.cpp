#include "viz/image_views.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "labels/camera_motion.h"

namespace occ::viz {
namespace {

// The Middlebury colour wheel: 55 hues between red, yellow, green, cyan,
// blue and magenta, in the published proportions (RY 15, YG 6, GC 4, CB 11, BM 13, MR 6).
std::vector<cv::Vec3f> colour_wheel() {
  std::vector<cv::Vec3f> wheel;
  const int segments[6] = {15, 6, 4, 11, 13, 6};
  for (int s = 0; s < 6; ++s) {
    for (int i = 0; i < segments[s]; ++i) {
      const float t = static_cast<float>(i) / segments[s];
      switch (s) {
        case 0:
          wheel.emplace_back(255, 255 * t, 0);
          break;
        case 1:
          wheel.emplace_back(255 - 255 * t, 255, 0);
          break;
        case 2:
          wheel.emplace_back(0, 255, 255 * t);
          break;
        case 3:
          wheel.emplace_back(0, 255 - 255 * t, 255);
          break;
        case 4:
          wheel.emplace_back(255 * t, 0, 255);
          break;
        default:
          wheel.emplace_back(255, 0, 255 - 255 * t);
          break;
      }
    }
  }
  return wheel;
}

}  // namespace

cv::Mat flow_to_colour(const cv::Mat& flow, double max_magnitude, const cv::Mat& valid) {
  CV_Assert(flow.type() == CV_32FC2);
  static const std::vector<cv::Vec3f> wheel = colour_wheel();
  if (max_magnitude <= 0) {
    for (int y = 0; y < flow.rows; ++y) {
      for (int x = 0; x < flow.cols; ++x) {
        const cv::Vec2f f = flow.at<cv::Vec2f>(y, x);
        if (std::isfinite(f[0]) && std::isfinite(f[1]))
          max_magnitude = std::max<double>(max_magnitude, std::hypot(f[0], f[1]));
      }
    }
    max_magnitude = std::max(max_magnitude, 1e-6);
  }
  cv::Mat image(flow.size(), CV_8UC3, cv::Scalar(0, 0, 0));
  const int n = static_cast<int>(wheel.size());
  for (int y = 0; y < flow.rows; ++y) {
    for (int x = 0; x < flow.cols; ++x) {
      const cv::Vec2f f = flow.at<cv::Vec2f>(y, x);
      if (!std::isfinite(f[0]) || !std::isfinite(f[1]) || (!valid.empty() && !valid.at<uint8_t>(y, x)))
        continue;
      const double radius = std::min(1.0, std::hypot(f[0], f[1]) / max_magnitude);
      // In double: float atan2 returns float(pi) > pi, which would index before the wheel.
      const double angle = std::atan2(-static_cast<double>(f[1]), -static_cast<double>(f[0])) / M_PI;
      const double position = std::clamp((angle + 1) / 2 * (n - 1), 0.0, n - 1.0);
      const int k0 = static_cast<int>(std::floor(position)), k1 = (k0 + 1) % n;
      const double blend = position - k0;
      cv::Vec3b& out = image.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) {
        const double colour = ((1 - blend) * wheel[k0][c] + blend * wheel[k1][c]) / 255.0;
        out[c] = static_cast<uchar>(255 * (1 - radius * (1 - colour)));  // white at zero flow
      }
    }
  }
  return image;
}

cv::Mat depth_to_colour(const cv::Mat& depth, double min_m, double max_m) {
  CV_Assert(depth.type() == CV_32F);
  cv::Mat scaled(depth.size(), CV_8U);
  const double log_range = std::log(max_m / min_m);
  for (int y = 0; y < depth.rows; ++y) {
    for (int x = 0; x < depth.cols; ++x) {
      const float d = depth.at<float>(y, x);
      // Log depth spreads a street scene (2-80 m) over the whole map; near is warm.
      const double nearness = d > 0 && std::isfinite(d)
                                  ? 1.0 - std::log(std::clamp<double>(d, min_m, max_m) / min_m) / log_range
                                  : 0.0;
      scaled.at<uint8_t>(y, x) = static_cast<uint8_t>(std::lround(255 * nearness));
    }
  }
  cv::Mat bgr, rgb;
  cv::applyColorMap(scaled, bgr, cv::COLORMAP_TURBO);
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  rgb.setTo(cv::Scalar(0, 0, 0), depth <= 0);
  return rgb;
}

cv::Mat draw_boundaries(const cv::Mat& image, const cv::Mat& labels, const cv::Vec3b& colour) {
  cv::Mat ids;
  labels.convertTo(ids, CV_32S);
  if (ids.size() != image.size()) cv::resize(ids, ids, image.size(), 0, 0, cv::INTER_NEAREST);
  cv::Mat out = image.clone();
  for (int y = 0; y < ids.rows; ++y) {
    for (int x = 0; x < ids.cols; ++x) {
      const int id = ids.at<int>(y, x);
      if ((x + 1 < ids.cols && ids.at<int>(y, x + 1) != id) ||
          (y + 1 < ids.rows && ids.at<int>(y + 1, x) != id)) {
        out.at<cv::Vec3b>(y, x) = colour;
      }
    }
  }
  return out;
}

cv::Mat paint_region_means(const cv::Mat& image, const cv::Mat& labels, const cv::Vec3b& boundary) {
  CV_Assert(image.type() == CV_8UC3);
  cv::Mat ids;
  labels.convertTo(ids, CV_32S);
  if (ids.size() != image.size()) cv::resize(ids, ids, image.size(), 0, 0, cv::INTER_NEAREST);
  double largest = 0;
  cv::minMaxLoc(ids, nullptr, &largest);
  std::vector<cv::Vec3d> sums(static_cast<size_t>(largest) + 1, cv::Vec3d(0, 0, 0));
  std::vector<int64_t> counts(sums.size(), 0);
  for (int y = 0; y < ids.rows; ++y) {
    for (int x = 0; x < ids.cols; ++x) {
      const int id = ids.at<int>(y, x);
      if (id < 0) continue;
      sums[static_cast<size_t>(id)] += cv::Vec3d(image.at<cv::Vec3b>(y, x));
      ++counts[static_cast<size_t>(id)];
    }
  }
  std::vector<cv::Vec3b> means(sums.size());
  for (size_t k = 0; k < sums.size(); ++k) {
    if (counts[k] == 0) continue;
    for (int c = 0; c < 3; ++c)
      means[k][c] = static_cast<uchar>(std::lround(sums[k][c] / static_cast<double>(counts[k])));
  }
  cv::Mat painted = image.clone();
  for (int y = 0; y < ids.rows; ++y) {
    for (int x = 0; x < ids.cols; ++x) {
      const int id = ids.at<int>(y, x);
      if (id >= 0) painted.at<cv::Vec3b>(y, x) = means[static_cast<size_t>(id)];
    }
  }
  return draw_boundaries(painted, ids, boundary);
}

cv::Mat overlay_occupancy(const cv::Mat& image, const OccupancyGrid& grid,
                          const std::vector<cv::Vec3b>& palette, const Matrix3& k,
                          const Matrix4& ego_from_camera, bool camera_only, double alpha) {
  const Matrix4 m = geom::rigid_inverse(ego_from_camera);
  cv::Mat nearest(image.size(), CV_32F, cv::Scalar(1e30f));
  cv::Mat colours(image.size(), CV_8UC3, cv::Scalar(0, 0, 0));
  for (int64_t x = 0; x < grid.shape[0]; ++x) {
    for (int64_t y = 0; y < grid.shape[1]; ++y) {
      for (int64_t z = 0; z < grid.shape[2]; ++z) {
        const int64_t i = grid.linear(x, y, z);
        if (!grid.shown(i, camera_only)) continue;
        const double px = grid.origin_m[0] + (x + 0.5) * grid.voxel_size_m[0];
        const double py = grid.origin_m[1] + (y + 0.5) * grid.voxel_size_m[1];
        const double pz = grid.origin_m[2] + (z + 0.5) * grid.voxel_size_m[2];
        const double cx = m[0] * px + m[1] * py + m[2] * pz + m[3];
        const double cy = m[4] * px + m[5] * py + m[6] * pz + m[7];
        const double cz = m[8] * px + m[9] * py + m[10] * pz + m[11];
        if (cz < 0.5) continue;
        const double u = k[0] * cx / cz + k[1] * cy / cz + k[2], v = k[4] * cy / cz + k[5];
        // A voxel covers about f * size / depth pixels.
        const int half = std::max(1, static_cast<int>(std::lround(0.5 * k[0] * grid.voxel_size_m[0] / cz)));
        const cv::Rect square =
            cv::Rect(static_cast<int>(u) - half, static_cast<int>(v) - half, 2 * half + 1, 2 * half + 1) &
            cv::Rect(0, 0, image.cols, image.rows);
        if (square.empty()) continue;
        const uint8_t label = grid.labels[i];
        const cv::Vec3b colour = label < palette.size() ? palette[label] : cv::Vec3b(0, 0, 0);
        for (int row = square.y; row < square.y + square.height; ++row) {
          for (int col = square.x; col < square.x + square.width; ++col) {
            float& depth = nearest.at<float>(row, col);
            if (cz < depth) {
              depth = static_cast<float>(cz);
              colours.at<cv::Vec3b>(row, col) = colour;
            }
          }
        }
      }
    }
  }
  cv::Mat out = image.clone();
  for (int row = 0; row < image.rows; ++row) {
    for (int col = 0; col < image.cols; ++col) {
      if (nearest.at<float>(row, col) > 1e29f) continue;
      cv::Vec3b& pixel = out.at<cv::Vec3b>(row, col);
      const cv::Vec3b colour = colours.at<cv::Vec3b>(row, col);
      for (int c = 0; c < 3; ++c) pixel[c] = static_cast<uchar>((1 - alpha) * pixel[c] + alpha * colour[c]);
    }
  }
  return out;
}

cv::Mat rig_sheet(const std::vector<cv::Mat>& images, const std::vector<std::string>& names, int tile_width) {
  const std::vector<std::string> nuscenes = {"CAM_FRONT_LEFT", "CAM_FRONT", "CAM_FRONT_RIGHT",
                                             "CAM_BACK_RIGHT", "CAM_BACK",  "CAM_BACK_LEFT"};
  std::vector<int> order;
  int columns = static_cast<int>(images.size());
  bool is_nuscenes = images.size() == 6;
  for (const auto& name : nuscenes) {
    const auto found = std::find(names.begin(), names.end(), name);
    if (found == names.end()) {
      is_nuscenes = false;
      break;
    }
    order.push_back(static_cast<int>(found - names.begin()));
  }
  if (is_nuscenes) {
    columns = 3;
  } else {
    order.clear();
    for (size_t i = 0; i < images.size(); ++i) order.push_back(static_cast<int>(i));
  }
  const int rows = (static_cast<int>(order.size()) + columns - 1) / columns;
  const cv::Mat& first = images.at(0);
  const int tile_height =
      static_cast<int>(std::lround(static_cast<double>(first.rows) * tile_width / first.cols));
  cv::Mat sheet(rows * tile_height, columns * tile_width, CV_8UC3, cv::Scalar(255, 255, 255));
  for (size_t slot = 0; slot < order.size(); ++slot) {
    cv::Mat tile;
    cv::resize(images[order[slot]], tile, cv::Size(tile_width, tile_height), 0, 0, cv::INTER_AREA);
    const std::string& name = names[order[slot]];
    cv::putText(tile, name, cv::Point(6, 16), cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 3,
                cv::LINE_AA);
    cv::putText(tile, name, cv::Point(6, 16), cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(255, 255, 255), 1,
                cv::LINE_AA);
    tile.copyTo(sheet(cv::Rect(static_cast<int>(slot % columns) * tile_width,
                               static_cast<int>(slot / columns) * tile_height, tile_width, tile_height)));
  }
  return sheet;
}

}  // namespace occ::viz
