#include "train/image_transform.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace occ::train {

cv::Mat resize_image(const cv::Mat& image, int height, int width, PixelFromCamera& intrinsics) {
  const int new_height = height > 0 ? height : image.rows;
  const int new_width = width > 0 ? width : image.cols;
  if (new_height == image.rows && new_width == image.cols) return image;
  const bool shrinking = new_height <= image.rows && new_width <= image.cols;
  cv::Mat resized;
  cv::resize(image, resized, cv::Size(new_width, new_height), 0, 0,
             shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  const double scale_x = static_cast<double>(new_width) / image.cols;
  const double scale_y = static_cast<double>(new_height) / image.rows;
  for (int column = 0; column < 3; ++column) {
    intrinsics[static_cast<size_t>(column)] *= scale_x;
    intrinsics[static_cast<size_t>(3 + column)] *= scale_y;
  }
  return resized;
}

cv::Mat flip_image(const cv::Mat& image, PixelFromCamera& intrinsics) {
  cv::Mat flipped;
  cv::flip(image, flipped, /*flipCode=*/1);
  const double width = image.cols;
  for (int column = 0; column < 3; ++column) {
    const auto c = static_cast<size_t>(column);
    intrinsics[c] = -intrinsics[c] + width * intrinsics[6 + c];
  }
  return flipped;
}

void normalise_to_planes(const cv::Mat& rgb, const std::array<float, 3>& mean,
                         const std::array<float, 3>& std, bool bgr, float* planes) {
  CV_Assert(rgb.type() == CV_8UC3);
  const size_t plane_size = rgb.total();
  for (int y = 0; y < rgb.rows; ++y) {
    const uint8_t* pixel = rgb.ptr<uint8_t>(y);
    const size_t row_start = static_cast<size_t>(y) * static_cast<size_t>(rgb.cols);
    for (int x = 0; x < rgb.cols; ++x, pixel += 3) {
      const size_t index = row_start + static_cast<size_t>(x);
      for (size_t c = 0; c < 3; ++c) {
        const float value = pixel[bgr ? 2 - c : c];
        planes[c * plane_size + index] = (value - mean[c]) / std[c];
      }
    }
  }
}

std::vector<int> nearest_exact_sources(int in_size, int out_size) {
  std::vector<int> sources(static_cast<size_t>(out_size));
  const double scale = static_cast<double>(in_size) / out_size;
  for (int i = 0; i < out_size; ++i)
    sources[static_cast<size_t>(i)] = std::min(static_cast<int>((i + 0.5) * scale), in_size - 1);
  return sources;
}

}  // namespace occ::train
