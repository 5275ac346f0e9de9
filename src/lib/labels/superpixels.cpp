#include "labels/superpixels.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc.hpp>

#include <cmath>
#include <unordered_map>

#include "core/error.h"
#include "core/strings.h"

namespace occ::labels {

void SuperpixelOptions::validate() const {
  if (method != "seeds" && method != "slic" && method != "slico" && method != "lsc") {
    throw UsageError(str("unknown superpixel method ", quoted(method), ": use seeds, slic, slico or lsc"));
  }
  if (count < 2 || count > 65535)
    throw UsageError(str("--count must be 2 to 65535 (uint16 labels), got ", count));
  if (seeds_levels < 1 || seeds_levels > 10) throw UsageError("--seeds-levels must be 1 to 10");
  if (seeds_prior < 0 || seeds_prior > 5) throw UsageError("--seeds-prior must be 0 to 5");
  if (seeds_histogram_bins < 1 || seeds_histogram_bins > 64) throw UsageError("--seeds-bins must be 1 to 64");
  if (seeds_iterations < 1 || iterations < 1) throw UsageError("iterations must be at least 1");
  if (!(slic_ruler > 0) || !(lsc_ratio > 0))
    throw UsageError("--slic-ruler and --lsc-ratio must be positive");
  if (min_element_percent < 0 || min_element_percent > 100)
    throw UsageError("--min-element must be 0 to 100");
}

nlohmann::json SuperpixelOptions::to_json() const {
  return {{"method", method},
          {"count", count},
          {"seeds_levels", seeds_levels},
          {"seeds_prior", seeds_prior},
          {"seeds_histogram_bins", seeds_histogram_bins},
          {"seeds_iterations", seeds_iterations},
          {"slic_ruler", slic_ruler},
          {"lsc_ratio", lsc_ratio},
          {"iterations", iterations},
          {"min_element_percent", min_element_percent}};
}

Superpixels compact_labels(const cv::Mat& labels) {
  Superpixels result;
  result.labels.create(labels.size(), CV_32S);
  std::unordered_map<int, int> ids;
  for (int y = 0; y < labels.rows; ++y) {
    const int* in = labels.ptr<int>(y);
    int* out = result.labels.ptr<int>(y);
    for (int x = 0; x < labels.cols; ++x) {
      const auto found = ids.emplace(in[x], static_cast<int>(ids.size()));
      out[x] = found.first->second;
    }
  }
  result.count = static_cast<int>(ids.size());
  return result;
}

Superpixels segment_superpixels(const cv::Mat& rgb, const SuperpixelOptions& options) {
  CV_Assert(rgb.type() == CV_8UC3);
  cv::Mat raw;
  const int pixels = rgb.rows * rgb.cols;
  // SLIC-family algorithms take a region size (pixels per side), not a count.
  const int region_size =
      std::max(2, static_cast<int>(std::lround(std::sqrt(static_cast<double>(pixels) / options.count))));
  if (options.method == "seeds") {
    // SEEDS works best in a perceptual colour space (as in the OpenCV sample).
    cv::Mat lab;
    cv::cvtColor(rgb, lab, cv::COLOR_RGB2Lab);
    auto seeds =
        cv::ximgproc::createSuperpixelSEEDS(rgb.cols, rgb.rows, 3, options.count, options.seeds_levels,
                                            options.seeds_prior, options.seeds_histogram_bins, false);
    seeds->iterate(lab, options.seeds_iterations);
    seeds->getLabels(raw);
  } else if (options.method == "lsc") {
    cv::Mat lab;
    cv::cvtColor(rgb, lab, cv::COLOR_RGB2Lab);
    auto lsc = cv::ximgproc::createSuperpixelLSC(lab, region_size, options.lsc_ratio);
    lsc->iterate(options.iterations);
    lsc->enforceLabelConnectivity(options.min_element_percent);
    lsc->getLabels(raw);
  } else {
    cv::Mat lab;
    cv::cvtColor(rgb, lab, cv::COLOR_RGB2Lab);
    const int algorithm = options.method == "slic" ? cv::ximgproc::SLIC : cv::ximgproc::SLICO;
    auto slic = cv::ximgproc::createSuperpixelSLIC(lab, algorithm, region_size, options.slic_ruler);
    slic->iterate(options.iterations);
    slic->enforceLabelConnectivity(options.min_element_percent);
    slic->getLabels(raw);
  }
  return compact_labels(raw);
}

int prototype_count(int image_height, int image_width, int ratio) {
  if (image_height <= 0 || image_width <= 0 || ratio <= 0) {
    throw UsageError(str("bad prototype ratio ", ratio, " for a ", image_height, "x", image_width, " image"));
  }
  const auto ceil_div = [](int a, int b) { return (a + b - 1) / b; };
  return ceil_div(ceil_div(image_height, 8), ratio) * ceil_div(ceil_div(image_width, 8), ratio);
}

}  // namespace occ::labels
