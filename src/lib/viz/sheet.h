#pragma once
// Composes titled panels into one picture with a caption and a class legend.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace occ::viz {

struct Panel {
  std::string title;
  cv::Mat image;  // CV_8UC3 RGB
};

// Panels are laid out left to right in rows no wider than `max_width`
// (a wider panel gets a row of its own, scaled down to fit).
cv::Mat compose_sheet(const std::vector<Panel>& panels, const std::string& caption,
                      const std::vector<std::string>& legend_names,
                      const std::vector<cv::Vec3b>& legend_colours, int max_width = 1600);

}  // namespace occ::viz
