#pragma once
// How well superpixels follow ground-truth segments (the standard
// superpixel benchmarks, e.g. Stutz et al. 2018, "Superpixels: an evaluation
// of the state-of-the-art").
#include <opencv2/core.hpp>

namespace occ::labels {

struct MaskQuality {
  double boundary_recall = 0;      // GT boundary pixels with a superpixel boundary within `tolerance`
  double achievable_accuracy = 0;  // ASA: pixels right if each superpixel took its majority GT segment
  int64_t boundary_pixels = 0;     // GT boundary pixels counted (0: recall undefined, reported 1)
  int64_t pixels = 0;
};

// `superpixels` and `segments` are CV_32S label maps of the same size;
// a pixel is a boundary pixel when its right or lower neighbour differs.
MaskQuality mask_quality(const cv::Mat& superpixels, const cv::Mat& segments, int tolerance = 2);

// Accumulates over many maps: sums of counts, then ratios.
struct MaskQualitySum {
  int64_t boundary_hits = 0, boundary_pixels = 0, majority_pixels = 0, pixels = 0;
  void add(const cv::Mat& superpixels, const cv::Mat& segments, int tolerance = 2);
  MaskQuality result() const;
};

}  // namespace occ::labels
