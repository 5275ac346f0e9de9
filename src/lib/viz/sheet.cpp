#include "viz/sheet.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>

namespace occ::viz {
namespace {

constexpr int kGap = 8;
constexpr int kTitleHeight = 22;
const cv::Scalar kInk(30, 30, 30);

cv::Mat titled(const Panel& panel, int max_width) {
  cv::Mat image = panel.image;
  if (image.cols > max_width) {
    cv::resize(image, image, cv::Size(), static_cast<double>(max_width) / image.cols,
               static_cast<double>(max_width) / image.cols, cv::INTER_AREA);
  }
  cv::Mat out(image.rows + kTitleHeight, image.cols, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(out, panel.title, cv::Point(2, 16), cv::FONT_HERSHEY_SIMPLEX, 0.5, kInk, 1, cv::LINE_AA);
  image.copyTo(out(cv::Rect(0, kTitleHeight, image.cols, image.rows)));
  return out;
}

cv::Mat legend(const std::vector<std::string>& names, const std::vector<cv::Vec3b>& colours, int width) {
  const int item_width = 180, item_height = 20;
  const int per_row = std::max(1, (width - kGap) / item_width);
  const int rows = (static_cast<int>(names.size()) + per_row - 1) / per_row;
  cv::Mat out(rows * item_height + kGap, width, CV_8UC3, cv::Scalar(255, 255, 255));
  for (size_t i = 0; i < names.size(); ++i) {
    const int x = kGap + static_cast<int>(i % per_row) * item_width;
    const int y = kGap / 2 + static_cast<int>(i / per_row) * item_height;
    const cv::Vec3b c = colours[i];
    cv::rectangle(out, cv::Rect(x, y + 3, 14, 14), cv::Scalar(c[0], c[1], c[2]), cv::FILLED);
    cv::rectangle(out, cv::Rect(x, y + 3, 14, 14), kInk, 1);
    cv::putText(out, names[i], cv::Point(x + 19, y + 15), cv::FONT_HERSHEY_SIMPLEX, 0.42, kInk, 1,
                cv::LINE_AA);
  }
  return out;
}

}  // namespace

cv::Mat compose_sheet(const std::vector<Panel>& panels, const std::string& caption,
                      const std::vector<std::string>& legend_names,
                      const std::vector<cv::Vec3b>& legend_colours, int max_width) {
  std::vector<std::vector<cv::Mat>> rows(1);
  int row_width = 0;
  for (const auto& panel : panels) {
    cv::Mat image = titled(panel, max_width);
    if (!rows.back().empty() && row_width + kGap + image.cols > max_width) {
      rows.emplace_back();
      row_width = 0;
    }
    row_width += (rows.back().empty() ? 0 : kGap) + image.cols;
    rows.back().push_back(image);
  }
  int width = 0, height = kTitleHeight + kGap;
  for (const auto& row : rows) {
    int w = 0, h = 0;
    for (const auto& image : row) {
      w += (w ? kGap : 0) + image.cols;
      h = std::max(h, image.rows);
    }
    width = std::max(width, w);
    height += h + kGap;
  }
  width += 2 * kGap;
  const cv::Mat key = legend_names.empty() ? cv::Mat() : legend(legend_names, legend_colours, width);
  cv::Mat sheet(height + key.rows, width, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(sheet, caption, cv::Point(kGap, 17), cv::FONT_HERSHEY_SIMPLEX, 0.5, kInk, 1, cv::LINE_AA);
  int y = kTitleHeight + kGap;
  for (const auto& row : rows) {
    int x = kGap, h = 0;
    for (const auto& image : row) {
      image.copyTo(sheet(cv::Rect(x, y, image.cols, image.rows)));
      x += image.cols + kGap;
      h = std::max(h, image.rows);
    }
    y += h + kGap;
  }
  if (!key.empty()) key.copyTo(sheet(cv::Rect(0, height, key.cols, key.rows)));
  return sheet;
}

}  // namespace occ::viz
