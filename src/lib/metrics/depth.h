#pragma once
// Depth metrics as monodepth2's evaluate_depth.py / compute_errors compute
// them (nianticlabs/monodepth2; reused by SelfOcc and Let Occ Flow's
// utils/metric_util.py): per image, then averaged over images.
#include <cstdint>
#include <string>
#include <vector>

namespace occ::metrics {

struct DepthOptions {
  double min_depth = 1e-3;  // GT kept where min < d < max (KITTI 1e-3, nuScenes 1)
  double max_depth = 80.0;
  double clamp_min = 1e-3;  // predictions clamped to [clamp_min, max_depth]
  bool eigen_crop = false;  // KITTI Eigen crop: rows 0.4081-0.9919 H, cols 0.0359-0.9640 W
  void validate() const;
};

struct DepthErrors {
  double abs_rel = 0, sq_rel = 0, rmse = 0, rmse_log = 0, a1 = 0, a2 = 0, a3 = 0;
};

class DepthMetrics {
 public:
  explicit DepthMetrics(DepthOptions options = {}) : options_(options) {}
  // One image (row-major H x W, metres; GT 0 = unknown). An image with no
  // valid GT pixel is skipped and counted. A NaN prediction at a valid pixel
  // throws FormatError naming `where`.
  void add_image(const float* gt, const float* pred, int64_t height, int64_t width, const std::string& where);
  void merge(const DepthMetrics& other);

  DepthErrors raw() const;            // mean over images
  DepthErrors median_scaled() const;  // pred *= median(gt) / median(pred) per image first
  int64_t images() const { return images_; }
  int64_t skipped_images() const { return skipped_; }

 private:
  DepthOptions options_;
  DepthErrors raw_sum_, scaled_sum_;
  int64_t images_ = 0;
  int64_t skipped_ = 0;
};

// compute_errors on matched pixel lists (already masked and clamped).
DepthErrors depth_errors(const std::vector<float>& gt, const std::vector<float>& pred);

}  // namespace occ::metrics
