#include "labels/mask_quality.h"

#include <opencv2/imgproc.hpp>

#include <unordered_map>

namespace occ::labels {
namespace {

cv::Mat boundaries(const cv::Mat& labels) {
  cv::Mat edge = cv::Mat::zeros(labels.size(), CV_8U);
  for (int y = 0; y < labels.rows; ++y) {
    const int* row = labels.ptr<int>(y);
    const int* below = y + 1 < labels.rows ? labels.ptr<int>(y + 1) : nullptr;
    uint8_t* out = edge.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) {
      if ((x + 1 < labels.cols && row[x + 1] != row[x]) || (below && below[x] != row[x])) out[x] = 1;
    }
  }
  return edge;
}

struct PairHash {
  size_t operator()(const std::pair<int, int>& key) const {
    return std::hash<int64_t>()((static_cast<int64_t>(key.first) << 32) ^ static_cast<uint32_t>(key.second));
  }
};

}  // namespace

void MaskQualitySum::add(const cv::Mat& superpixels, const cv::Mat& segments, int tolerance) {
  CV_Assert(superpixels.type() == CV_32S && segments.type() == CV_32S &&
            superpixels.size() == segments.size());
  const cv::Mat gt_edges = boundaries(segments);
  cv::Mat sp_edges = boundaries(superpixels);
  if (tolerance > 0) {
    // Chebyshev-distance tolerance: a square structuring element.
    cv::dilate(sp_edges, sp_edges, cv::Mat::ones(2 * tolerance + 1, 2 * tolerance + 1, CV_8U));
  }
  boundary_pixels += cv::countNonZero(gt_edges);
  cv::Mat hits;
  cv::bitwise_and(gt_edges, sp_edges, hits);
  boundary_hits += cv::countNonZero(hits);

  std::unordered_map<std::pair<int, int>, int64_t, PairHash> overlap;
  for (int y = 0; y < superpixels.rows; ++y) {
    const int* sp = superpixels.ptr<int>(y);
    const int* gt = segments.ptr<int>(y);
    for (int x = 0; x < superpixels.cols; ++x) ++overlap[{sp[x], gt[x]}];
  }
  std::unordered_map<int, int64_t> best;
  for (const auto& [key, count] : overlap) best[key.first] = std::max(best[key.first], count);
  for (const auto& [id, count] : best) majority_pixels += count;
  pixels += static_cast<int64_t>(superpixels.total());
}

MaskQuality MaskQualitySum::result() const {
  MaskQuality quality;
  quality.boundary_pixels = boundary_pixels;
  quality.pixels = pixels;
  quality.boundary_recall = boundary_pixels > 0 ? static_cast<double>(boundary_hits) / boundary_pixels : 1.0;
  quality.achievable_accuracy = pixels > 0 ? static_cast<double>(majority_pixels) / pixels : 0.0;
  return quality;
}

MaskQuality mask_quality(const cv::Mat& superpixels, const cv::Mat& segments, int tolerance) {
  MaskQualitySum sum;
  sum.add(superpixels, segments, tolerance);
  return sum.result();
}

}  // namespace occ::labels
