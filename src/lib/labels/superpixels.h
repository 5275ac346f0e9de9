#pragma once
// Superpixel pseudo masks (ProtoOcc Sec. 3.2.2 uses SEEDS). Every method
// returns a dense label map with ids 0..count-1, renumbered so that ids are
// contiguous whatever the OpenCV algorithm produced.
#include <opencv2/core.hpp>

#include <string>

#include <nlohmann/json.hpp>

namespace occ::labels {

struct SuperpixelOptions {
  std::string method = "seeds";  // seeds, slic, slico, lsc
  int count = 299;               // target number of segments (paper: 299 with M = 350 prototypes)
  // SEEDS (cv::ximgproc::createSuperpixelSEEDS)
  int seeds_levels = 4;  // block levels; more = finer boundaries
  int seeds_prior = 2;   // shape smoothing 0-5
  int seeds_histogram_bins = 5;
  int seeds_iterations = 4;
  // SLIC / SLICO / LSC: region size follows from count; these shape the result
  float slic_ruler = 10.0f;      // compactness (SLIC only; SLICO adapts it)
  float lsc_ratio = 0.075f;      // compactness of LSC
  int iterations = 10;           // SLIC/SLICO/LSC iterations
  int min_element_percent = 25;  // merge segments smaller than this % of the region size

  // Throws UsageError for unknown methods or values out of range.
  void validate() const;
  nlohmann::json to_json() const;
};

struct Superpixels {
  cv::Mat labels;  // CV_32S, ids 0..count-1
  int count = 0;
};

// `rgb` is CV_8UC3 in RGB order.
Superpixels segment_superpixels(const cv::Mat& rgb, const SuperpixelOptions& options);

// Renumbers arbitrary non-negative ids to 0..count-1 in first-seen order.
Superpixels compact_labels(const cv::Mat& labels);

// ProtoOcc's prototype count for ratio r on a stride-8 feature map of an
// HxW image: ceil(ceil(H/8)/r) * ceil(ceil(W/8)/r). Gives the paper's
// M = 350 (r = 4) and 91 (r = 8) for 448x800 inputs.
int prototype_count(int image_height, int image_width, int ratio);

}  // namespace occ::labels
