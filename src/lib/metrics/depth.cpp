#include "metrics/depth.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace occ::metrics {
namespace {

void accumulate(DepthErrors& sum, const DepthErrors& e) {
  sum.abs_rel += e.abs_rel;
  sum.sq_rel += e.sq_rel;
  sum.rmse += e.rmse;
  sum.rmse_log += e.rmse_log;
  sum.a1 += e.a1;
  sum.a2 += e.a2;
  sum.a3 += e.a3;
}

DepthErrors divided(const DepthErrors& sum, int64_t n) {
  const double d = n > 0 ? static_cast<double>(n) : std::nan("");
  return {sum.abs_rel / d, sum.sq_rel / d, sum.rmse / d, sum.rmse_log / d,
          sum.a1 / d,      sum.a2 / d,     sum.a3 / d};
}

// np.median on float32: the mean of the two middle values for even counts.
float median(std::vector<float> values) {
  const size_t n = values.size();
  std::nth_element(values.begin(), values.begin() + static_cast<long>(n / 2), values.end());
  const float upper = values[n / 2];
  if (n % 2 == 1) return upper;
  const float lower = *std::max_element(values.begin(), values.begin() + static_cast<long>(n / 2));
  return (lower + upper) / 2.0f;
}

}  // namespace

void DepthOptions::validate() const {
  if (!(min_depth >= 0) || !(max_depth > min_depth)) {
    throw UsageError(str("depth range must satisfy 0 <= min < max, got ", min_depth, " and ", max_depth));
  }
  if (!(clamp_min > 0) || !(clamp_min < max_depth)) {
    throw UsageError(str("depth clamp minimum must be in (0, max depth), got ", clamp_min));
  }
}

DepthErrors depth_errors(const std::vector<float>& gt, const std::vector<float>& pred) {
  DepthErrors e;
  const double n = static_cast<double>(gt.size());
  double sq = 0, sq_log = 0;
  for (size_t i = 0; i < gt.size(); ++i) {
    const double g = gt[i], p = pred[i];
    const double ratio = std::max(g / p, p / g);
    e.a1 += ratio < 1.25;
    e.a2 += ratio < 1.25 * 1.25;
    e.a3 += ratio < 1.25 * 1.25 * 1.25;
    sq += (g - p) * (g - p);
    const double log_diff = std::log(g) - std::log(p);
    sq_log += log_diff * log_diff;
    e.abs_rel += std::fabs(g - p) / g;
    e.sq_rel += (g - p) * (g - p) / g;
  }
  e.a1 /= n;
  e.a2 /= n;
  e.a3 /= n;
  e.abs_rel /= n;
  e.sq_rel /= n;
  e.rmse = std::sqrt(sq / n);
  e.rmse_log = std::sqrt(sq_log / n);
  return e;
}

void DepthMetrics::add_image(const float* gt, const float* pred, int64_t height, int64_t width,
                             const std::string& where) {
  int64_t row0 = 0, row1 = height, col0 = 0, col1 = width;
  if (options_.eigen_crop) {  // monodepth2's crop, truncated with astype(np.int32)
    row0 = static_cast<int64_t>(0.40810811 * static_cast<double>(height));
    row1 = static_cast<int64_t>(0.99189189 * static_cast<double>(height));
    col0 = static_cast<int64_t>(0.03594771 * static_cast<double>(width));
    col1 = static_cast<int64_t>(0.96405229 * static_cast<double>(width));
  }
  std::vector<float> g, p;
  for (int64_t r = row0; r < row1; ++r) {
    for (int64_t c = col0; c < col1; ++c) {
      const int64_t i = r * width + c;
      if (!(gt[i] > options_.min_depth && gt[i] < options_.max_depth)) continue;
      if (std::isnan(pred[i])) {
        throw FormatError(str(where, " has a NaN predicted depth at pixel (", r, ", ", c, ")"));
      }
      g.push_back(gt[i]);
      p.push_back(pred[i]);
    }
  }
  if (g.empty()) {
    ++skipped_;
    return;
  }
  const float lo = static_cast<float>(options_.clamp_min), hi = static_cast<float>(options_.max_depth);
  std::vector<float> clamped(p.size()), scaled(p.size());
  const float ratio = median(g) / median(p);
  for (size_t i = 0; i < p.size(); ++i) {
    clamped[i] = std::min(std::max(p[i], lo), hi);
    scaled[i] = std::min(std::max(p[i] * ratio, lo), hi);
  }
  accumulate(raw_sum_, depth_errors(g, clamped));
  accumulate(scaled_sum_, depth_errors(g, scaled));
  ++images_;
}

void DepthMetrics::merge(const DepthMetrics& other) {
  accumulate(raw_sum_, other.raw_sum_);
  accumulate(scaled_sum_, other.scaled_sum_);
  images_ += other.images_;
  skipped_ += other.skipped_;
}

DepthErrors DepthMetrics::raw() const {
  return divided(raw_sum_, images_);
}
DepthErrors DepthMetrics::median_scaled() const {
  return divided(scaled_sum_, images_);
}

}  // namespace occ::metrics
