#pragma once
// KITTI 2015 scene-flow metrics as the devkit computes them
// (devkit_scene_flow_kt15 cpp/evaluate_scene_flow.cpp, io_disp.h, io_flow.h),
// with the stricter/looser variants Let Occ Flow reports.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace occ::metrics {

// Disparity map: value < 0 means invalid (the devkit's -1).
struct DisparityMap {
  int64_t width = 0, height = 0;
  std::vector<float> values;
  bool valid(int64_t u, int64_t v) const { return values[static_cast<size_t>(v * width + u)] >= 0; }
};

struct FlowMap {
  int64_t width = 0, height = 0;
  std::vector<float> u, v;
  std::vector<uint8_t> valid;
};

// The devkit's interpolateBackground: per row, interior gaps take the
// smaller of the two neighbours; then ends are extrapolated left/right, and
// columns up/down. Makes a sparse estimate dense before counting outliers.
void interpolate_background(DisparityMap& map);
void interpolate_background(FlowMap& map);

struct OutlierRule {
  double abs_px;  // error above this many pixels ...
  double rel;     // ... and above this fraction of the GT magnitude
};
// KITTI's 3 px / 5 %, and Let Occ Flow's D1_5% (4 px / 5 %) and F1_10% (8 px / 10 %).
constexpr OutlierRule kKittiRule{3.0, 0.05};
constexpr OutlierRule kRule4px5{4.0, 0.05};
constexpr OutlierRule kRule8px10{8.0, 0.10};

struct OutlierCounts {
  int64_t outliers = 0, pixels = 0;
  double ratio() const;
};

// Counts for one rule, split by region: all, background, foreground.
struct SceneFlowCounts {
  OutlierCounts d1[3], d2[3], fl[3], sf[3];
};

class SceneFlowMetrics {
 public:
  explicit SceneFlowMetrics(std::vector<OutlierRule> rules = {kKittiRule, kRule4px5, kRule8px10});
  // One frame. Estimates are densified (interpolate_background) on a copy;
  // `object_map` (null: all background) marks foreground pixels (> 0).
  // d1: disparity at t0, d2: disparity of the same pixels at t1.
  void add(const DisparityMap& gt_d1, const DisparityMap& gt_d2, const FlowMap& gt_flow, DisparityMap est_d1,
           DisparityMap est_d2, FlowMap est_flow, const uint8_t* object_map);
  void merge(const SceneFlowMetrics& other);

  const std::vector<OutlierRule>& rules() const { return rules_; }
  const SceneFlowCounts& counts(size_t rule) const { return counts_[rule]; }
  // Mean absolute disparity error (DE) and mean flow end-point error (EPE)
  // over valid GT pixels of all frames; index 0 all, 2 foreground.
  double disparity_error(int region) const;
  double end_point_error(int region) const;

 private:
  std::vector<OutlierRule> rules_;
  std::vector<SceneFlowCounts> counts_;
  double de_sum_[3] = {0, 0, 0}, epe_sum_[3] = {0, 0, 0};
  int64_t de_count_[3] = {0, 0, 0}, epe_count_[3] = {0, 0, 0};
};

}  // namespace occ::metrics
