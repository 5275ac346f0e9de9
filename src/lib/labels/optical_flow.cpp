#include "labels/optical_flow.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/optflow.hpp>
#include <opencv2/video/tracking.hpp>

#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace occ::labels {
namespace {

cv::Mat gray(const cv::Mat& rgb) {
  cv::Mat out;
  cv::cvtColor(rgb, out, cv::COLOR_RGB2GRAY);
  return out;
}

}  // namespace

const std::vector<std::string>& flow_methods() {
  static const std::vector<std::string> methods = {"dis", "deepflow", "tvl1", "rlof", "farneback"};
  return methods;
}

void check_flow_method(const std::string& method) {
  for (const auto& known : flow_methods()) {
    if (method == known) return;
  }
  throw UsageError(str("unknown flow method ", quoted(method), ": use ", join(flow_methods(), ", ")));
}

cv::Mat optical_flow(const cv::Mat& from, const cv::Mat& to, const std::string& method) {
  CV_Assert(from.type() == CV_8UC3 && to.type() == CV_8UC3 && from.size() == to.size());
  cv::Mat flow;
  if (method == "dis") {
    auto dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
    dis->calc(gray(from), gray(to), flow);
  } else if (method == "deepflow") {
    cv::optflow::createOptFlow_DeepFlow()->calc(gray(from), gray(to), flow);
  } else if (method == "tvl1") {
    cv::optflow::createOptFlow_DualTVL1()->calc(gray(from), gray(to), flow);
  } else if (method == "rlof") {
    // RLOF needs 3-channel 8-bit input; it is colour-order agnostic.
    cv::optflow::calcOpticalFlowDenseRLOF(from, to, flow);
  } else if (method == "farneback") {
    cv::calcOpticalFlowFarneback(gray(from), gray(to), flow, /*pyr_scale=*/0.5, /*levels=*/5, /*winsize=*/15,
                                 /*iterations=*/3, /*poly_n=*/5, /*poly_sigma=*/1.2, /*flags=*/0);
  } else {
    check_flow_method(method);
  }
  return flow;
}

cv::Mat forward_backward_valid(const cv::Mat& forward, const cv::Mat& backward, double alpha, double beta) {
  CV_Assert(forward.type() == CV_32FC2 && backward.type() == CV_32FC2 && forward.size() == backward.size());
  cv::Mat map_x(forward.size(), CV_32F), map_y(forward.size(), CV_32F);
  for (int y = 0; y < forward.rows; ++y) {
    const auto* f = forward.ptr<cv::Vec2f>(y);
    float* mx = map_x.ptr<float>(y);
    float* my = map_y.ptr<float>(y);
    for (int x = 0; x < forward.cols; ++x) {
      mx[x] = static_cast<float>(x) + f[x][0];
      my[x] = static_cast<float>(y) + f[x][1];
    }
  }
  cv::Mat backward_at_target;
  cv::remap(backward, backward_at_target, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT,
            cv::Scalar(0, 0));
  cv::Mat valid = cv::Mat::zeros(forward.size(), CV_8U);
  for (int y = 0; y < forward.rows; ++y) {
    const auto* f = forward.ptr<cv::Vec2f>(y);
    const auto* b = backward_at_target.ptr<cv::Vec2f>(y);
    const float* mx = map_x.ptr<float>(y);
    const float* my = map_y.ptr<float>(y);
    uint8_t* out = valid.ptr<uint8_t>(y);
    for (int x = 0; x < forward.cols; ++x) {
      if (mx[x] < 0 || my[x] < 0 || mx[x] > forward.cols - 1 || my[x] > forward.rows - 1) continue;
      const double sum_x = f[x][0] + b[x][0], sum_y = f[x][1] + b[x][1];
      const double lhs = sum_x * sum_x + sum_y * sum_y;
      const double rhs =
          alpha * (f[x][0] * f[x][0] + f[x][1] * f[x][1] + b[x][0] * b[x][0] + b[x][1] * b[x][1]) + beta;
      out[x] = lhs < rhs ? 1 : 0;
    }
  }
  return valid;
}

void FlowErrorSum::add(const cv::Mat& flow, const cv::Mat& truth, const cv::Mat& mask) {
  CV_Assert(flow.type() == CV_32FC2 && truth.type() == CV_32FC2 && mask.type() == CV_8U);
  for (int y = 0; y < flow.rows; ++y) {
    const auto* f = flow.ptr<cv::Vec2f>(y);
    const auto* t = truth.ptr<cv::Vec2f>(y);
    const uint8_t* m = mask.ptr<uint8_t>(y);
    for (int x = 0; x < flow.cols; ++x) {
      if (!m[x]) continue;
      const double epe = std::hypot(f[x][0] - t[x][0], f[x][1] - t[x][1]);
      const double magnitude = std::hypot(t[x][0], t[x][1]);
      epe_sum += epe;
      if (epe > 3.0 && epe > 0.05 * magnitude) ++outliers;
      ++pixels;
    }
  }
}

FlowError FlowErrorSum::result() const {
  FlowError error;
  error.pixels = pixels;
  error.epe = pixels > 0 ? epe_sum / static_cast<double>(pixels) : 0.0;
  error.outlier_fraction = pixels > 0 ? static_cast<double>(outliers) / static_cast<double>(pixels) : 0.0;
  return error;
}

}  // namespace occ::labels
