#include "labels/flow_composition.h"

#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace occ::labels {

namespace {

// Clears `valid` where the nearest pixel of (map_x, map_y) is 0 in `known`.
void require_known(const cv::Mat& known, const cv::Mat& map_x, const cv::Mat& map_y, cv::Mat& valid) {
  if (known.empty()) return;
  CV_Assert(known.type() == CV_8U && known.size() == valid.size());
  for (int y = 0; y < valid.rows; ++y) {
    const float* mx = map_x.ptr<float>(y);
    const float* my = map_y.ptr<float>(y);
    uint8_t* ok = valid.ptr<uint8_t>(y);
    for (int x = 0; x < valid.cols; ++x) {
      if (!ok[x]) continue;
      const int u = cvRound(mx[x]), v = cvRound(my[x]);
      if (u < 0 || v < 0 || u >= valid.cols || v >= valid.rows || !known.at<uint8_t>(v, u)) ok[x] = 0;
    }
  }
}

}  // namespace

ComposedFlow compose_flows(const std::vector<cv::Mat>& forward, const std::vector<cv::Mat>& backward,
                           double alpha, double beta, const std::vector<cv::Mat>& forward_known,
                           const std::vector<cv::Mat>& backward_known) {
  if (forward.empty() || forward.size() != backward.size())
    throw Error("compose_flows: needs one backward flow per forward flow, at least one");
  if ((!forward_known.empty() && forward_known.size() != forward.size()) ||
      (!backward_known.empty() && backward_known.size() != backward.size()))
    throw Error("compose_flows: known masks must be one per step or none");
  const cv::Size size = forward.front().size();
  for (size_t i = 0; i < forward.size(); ++i) {
    CV_Assert(forward[i].type() == CV_32FC2 && backward[i].type() == CV_32FC2);
    CV_Assert(forward[i].size() == size && backward[i].size() == size);
  }
  // Where each pixel of the first frame is in the current frame.
  cv::Mat map_x(size, CV_32F), map_y(size, CV_32F);
  for (int y = 0; y < size.height; ++y) {
    float* mx = map_x.ptr<float>(y);
    float* my = map_y.ptr<float>(y);
    for (int x = 0; x < size.width; ++x) {
      mx[x] = static_cast<float>(x);
      my[x] = static_cast<float>(y);
    }
  }
  ComposedFlow result;
  result.valid = cv::Mat(size, CV_8U, cv::Scalar(1));
  result.flow = cv::Mat::zeros(size, CV_32FC2);
  cv::Mat step, back;
  for (size_t i = 0; i < forward.size(); ++i) {
    // Replicated borders: a pixel that has left the image is invalid already,
    // but its flow keeps a sensible (nearest) value instead of jumping to 0.
    if (!forward_known.empty()) require_known(forward_known[i], map_x, map_y, result.valid);
    cv::remap(forward[i], step, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    for (int y = 0; y < size.height; ++y) {
      const auto* f = step.ptr<cv::Vec2f>(y);
      float* mx = map_x.ptr<float>(y);
      float* my = map_y.ptr<float>(y);
      uint8_t* ok = result.valid.ptr<uint8_t>(y);
      for (int x = 0; x < size.width; ++x) {
        mx[x] += f[x][0];
        my[x] += f[x][1];
        if (mx[x] < 0 || my[x] < 0 || mx[x] > size.width - 1 || my[x] > size.height - 1) ok[x] = 0;
      }
    }
    result.flow += step;  // summed, not q_n - p, so that one step returns f_0 bit for bit
    if (!backward_known.empty()) require_known(backward_known[i], map_x, map_y, result.valid);
    cv::remap(backward[i], back, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    for (int y = 0; y < size.height; ++y) {
      const auto* f = step.ptr<cv::Vec2f>(y);
      const auto* b = back.ptr<cv::Vec2f>(y);
      uint8_t* ok = result.valid.ptr<uint8_t>(y);
      for (int x = 0; x < size.width; ++x) {
        if (!ok[x]) continue;
        const double sum_x = f[x][0] + b[x][0], sum_y = f[x][1] + b[x][1];
        const double lhs = sum_x * sum_x + sum_y * sum_y;
        const double rhs =
            alpha * (f[x][0] * f[x][0] + f[x][1] * f[x][1] + b[x][0] * b[x][0] + b[x][1] * b[x][1]) + beta;
        if (!(lhs < rhs)) ok[x] = 0;
      }
    }
  }
  return result;
}

}  // namespace occ::labels
