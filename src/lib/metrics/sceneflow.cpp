#include "metrics/sceneflow.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/strings.h"

namespace occ::metrics {
namespace {

// Shared by both map kinds: `valid(u, v)`, `copy(from, to)`, `min_fill(a, b, to)`.
template <typename Valid, typename Copy, typename MinFill>
void interpolate(int64_t width, int64_t height, Valid valid, Copy copy, MinFill min_fill) {
  for (int64_t v = 0; v < height; ++v) {
    int64_t count = 0;
    for (int64_t u = 0; u < width; ++u) {
      if (valid(u, v)) {
        if (count >= 1) {
          const int64_t u1 = u - count, u2 = u - 1;
          if (u1 > 0 && u2 < width - 1) {
            for (int64_t c = u1; c <= u2; ++c) min_fill(u1 - 1, u2 + 1, c, v);
          }
        }
        count = 0;
      } else {
        ++count;
      }
    }
    for (int64_t u = 0; u < width; ++u) {  // extrapolate to the left
      if (valid(u, v)) {
        for (int64_t u2 = 0; u2 < u; ++u2) copy(u, v, u2, v);
        break;
      }
    }
    for (int64_t u = width - 1; u >= 0; --u) {  // extrapolate to the right
      if (valid(u, v)) {
        for (int64_t u2 = u + 1; u2 < width; ++u2) copy(u, v, u2, v);
        break;
      }
    }
  }
  for (int64_t u = 0; u < width; ++u) {
    for (int64_t v = 0; v < height; ++v) {  // extrapolate to the top
      if (valid(u, v)) {
        for (int64_t v2 = 0; v2 < v; ++v2) copy(u, v, u, v2);
        break;
      }
    }
    for (int64_t v = height - 1; v >= 0; --v) {  // extrapolate to the bottom
      if (valid(u, v)) {
        for (int64_t v2 = v + 1; v2 < height; ++v2) copy(u, v, u, v2);
        break;
      }
    }
  }
}

bool is_outlier(double error, double magnitude, const OutlierRule& rule) {
  return error > rule.abs_px && error / magnitude > rule.rel;
}

void count(OutlierCounts* region, bool foreground, bool outlier) {
  for (int r : {0, foreground ? 2 : 1}) {
    ++region[r].pixels;
    region[r].outliers += outlier ? 1 : 0;
  }
}

void require_size(int64_t w, int64_t h, int64_t width, int64_t height, const char* what) {
  if (w != width || h != height) {
    throw FormatError(
        str("scene flow ", what, " is ", w, "x", h, ", but the ground truth is ", width, "x", height));
  }
}

}  // namespace

void interpolate_background(DisparityMap& map) {
  auto at = [&](int64_t u, int64_t v) -> float& {
    return map.values[static_cast<size_t>(v * map.width + u)];
  };
  interpolate(
      map.width, map.height, [&](int64_t u, int64_t v) { return map.valid(u, v); },
      [&](int64_t fu, int64_t fv, int64_t tu, int64_t tv) { at(tu, tv) = at(fu, fv); },
      [&](int64_t a, int64_t b, int64_t c, int64_t v) { at(c, v) = std::min(at(a, v), at(b, v)); });
}

void interpolate_background(FlowMap& map) {
  auto index = [&](int64_t u, int64_t v) { return static_cast<size_t>(v * map.width + u); };
  // The fill value is fixed before the gap is written (its neighbours are valid pixels outside the gap).
  interpolate(
      map.width, map.height, [&](int64_t u, int64_t v) { return map.valid[index(u, v)] != 0; },
      [&](int64_t fu, int64_t fv, int64_t tu, int64_t tv) {
        map.u[index(tu, tv)] = map.u[index(fu, fv)];
        map.v[index(tu, tv)] = map.v[index(fu, fv)];
        map.valid[index(tu, tv)] = 1;
      },
      [&](int64_t a, int64_t b, int64_t c, int64_t v) {
        map.u[index(c, v)] = std::min(map.u[index(a, v)], map.u[index(b, v)]);
        map.v[index(c, v)] = std::min(map.v[index(a, v)], map.v[index(b, v)]);
        map.valid[index(c, v)] = 1;
      });
}

double OutlierCounts::ratio() const {
  return pixels ? static_cast<double>(outliers) / static_cast<double>(pixels)
                : std::numeric_limits<double>::quiet_NaN();
}

SceneFlowMetrics::SceneFlowMetrics(std::vector<OutlierRule> rules)
    : rules_(std::move(rules)), counts_(rules_.size()) {}

void SceneFlowMetrics::add(const DisparityMap& gt_d1, const DisparityMap& gt_d2, const FlowMap& gt_flow,
                           DisparityMap est_d1, DisparityMap est_d2, FlowMap est_flow,
                           const uint8_t* object_map) {
  const int64_t w = gt_d1.width, h = gt_d1.height;
  require_size(gt_d2.width, gt_d2.height, w, h, "GT disparity at t1");
  require_size(gt_flow.width, gt_flow.height, w, h, "GT flow");
  require_size(est_d1.width, est_d1.height, w, h, "estimated disparity at t0");
  require_size(est_d2.width, est_d2.height, w, h, "estimated disparity at t1");
  require_size(est_flow.width, est_flow.height, w, h, "estimated flow");
  interpolate_background(est_d1);
  interpolate_background(est_d2);
  interpolate_background(est_flow);
  for (int64_t v = 0; v < h; ++v) {
    for (int64_t u = 0; u < w; ++u) {
      const size_t i = static_cast<size_t>(v * w + u);
      const bool fg = object_map && object_map[i] > 0;
      const bool d1_valid = gt_d1.valid(u, v), d2_valid = gt_d2.valid(u, v), fl_valid = gt_flow.valid[i] != 0;
      const double d1_err = std::fabs(gt_d1.values[i] - est_d1.values[i]);
      const double d2_err = std::fabs(gt_d2.values[i] - est_d2.values[i]);
      const double du = gt_flow.u[i] - est_flow.u[i], dv = gt_flow.v[i] - est_flow.v[i];
      const double f_err = std::sqrt(du * du + dv * dv);
      const double f_mag = std::sqrt(static_cast<double>(gt_flow.u[i]) * gt_flow.u[i] +
                                     static_cast<double>(gt_flow.v[i]) * gt_flow.v[i]);
      for (size_t r = 0; r < rules_.size(); ++r) {
        SceneFlowCounts& c = counts_[r];
        const bool o1 = d1_valid && is_outlier(d1_err, std::fabs(gt_d1.values[i]), rules_[r]);
        const bool o2 = d2_valid && is_outlier(d2_err, std::fabs(gt_d2.values[i]), rules_[r]);
        const bool of = fl_valid && is_outlier(f_err, f_mag, rules_[r]);
        if (d1_valid) count(c.d1, fg, o1);
        if (d2_valid) count(c.d2, fg, o2);
        if (fl_valid) count(c.fl, fg, of);
        if (d1_valid && d2_valid && fl_valid) count(c.sf, fg, o1 || o2 || of);
      }
      for (int region : {0, fg ? 2 : 1}) {
        if (d1_valid) {
          de_sum_[region] += d1_err;
          ++de_count_[region];
        }
        if (fl_valid) {
          epe_sum_[region] += f_err;
          ++epe_count_[region];
        }
      }
    }
  }
}

void SceneFlowMetrics::merge(const SceneFlowMetrics& other) {
  for (size_t r = 0; r < counts_.size(); ++r) {
    for (int region = 0; region < 3; ++region) {
      for (auto member :
           {&SceneFlowCounts::d1, &SceneFlowCounts::d2, &SceneFlowCounts::fl, &SceneFlowCounts::sf}) {
        (counts_[r].*member)[region].outliers += (other.counts_[r].*member)[region].outliers;
        (counts_[r].*member)[region].pixels += (other.counts_[r].*member)[region].pixels;
      }
    }
  }
  for (int region = 0; region < 3; ++region) {
    de_sum_[region] += other.de_sum_[region];
    de_count_[region] += other.de_count_[region];
    epe_sum_[region] += other.epe_sum_[region];
    epe_count_[region] += other.epe_count_[region];
  }
}

double SceneFlowMetrics::disparity_error(int region) const {
  return de_count_[region] ? de_sum_[region] / static_cast<double>(de_count_[region])
                           : std::numeric_limits<double>::quiet_NaN();
}

double SceneFlowMetrics::end_point_error(int region) const {
  return epe_count_[region] ? epe_sum_[region] / static_cast<double>(epe_count_[region])
                            : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace occ::metrics
