#pragma once
// Dense optical flow between two RGB images with OpenCV's classical methods,
// standing in for the learned flow (UniMatch, CoTracker) Let Occ Flow uses:
// no neural flow model is available offline.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace occ::labels {

// dis (default), deepflow, tvl1, rlof, farneback.
const std::vector<std::string>& flow_methods();
// Throws UsageError for an unknown method.
void check_flow_method(const std::string& method);

// Flow from `from` to `to` (CV_8UC3 RGB, same size): CV_32FC2, pixels, such
// that from(p) matches to(p + flow(p)).
cv::Mat optical_flow(const cv::Mat& from, const cv::Mat& to, const std::string& method);

// Forward-backward consistency (UnFlow, Meister et al. 2018; the check Let
// Occ Flow applies to its flow labels): p is valid when
// |f(p) + b(p + f(p))|^2 < alpha (|f(p)|^2 + |b(p + f(p))|^2) + beta,
// with b sampled bilinearly; targets outside the image are invalid.
cv::Mat forward_backward_valid(const cv::Mat& forward, const cv::Mat& backward, double alpha = 0.01,
                               double beta = 0.5);

// End-point error statistics of `flow` against `truth` over `mask` pixels;
// Fl outlier: EPE > 3 px and EPE > 5% of |truth| (KITTI 2015).
struct FlowError {
  double epe = 0;
  double outlier_fraction = 0;
  int64_t pixels = 0;
};
struct FlowErrorSum {
  double epe_sum = 0;
  int64_t outliers = 0, pixels = 0;
  void add(const cv::Mat& flow, const cv::Mat& truth, const cv::Mat& mask);
  FlowError result() const;
};

}  // namespace occ::labels
