#include "metrics/rayiou.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/threads.h"
#include "metrics/confusion.h"

namespace occ::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kAveThreshold = 1;  // mAVE uses the 2 m threshold (ray_metrics.py: ave[1])

}  // namespace

RayIou::RayIou(int classes, int free_class, std::vector<bool> flow_classes, RayIouOptions options)
    : classes_(classes),
      free_class_(free_class),
      flow_classes_(std::move(flow_classes)),
      options_(options),
      gt_count_(static_cast<size_t>(classes), 0),
      pred_count_(static_cast<size_t>(classes), 0),
      tp_(static_cast<size_t>(kRayThresholds * classes), 0),
      flow_error_sum_(static_cast<size_t>(classes), 0.0),
      flow_error_count_(static_cast<size_t>(classes), 0) {
  flow_classes_.resize(static_cast<size_t>(classes), false);
}

void RayIou::add(int gt_label, float gt_depth, int pred_label, float pred_depth, const float* gt_flow,
                 const float* pred_flow) {
  if (gt_label == free_class_) return;
  if (options_.geometry_only) pred_label = gt_label;
  ++rays_;
  // Labels outside [0, K) (an ignore value such as 255 in GT) count for no
  // class, as in the official per-class loop.
  if (gt_label < classes_) ++gt_count_[static_cast<size_t>(gt_label)];
  if (pred_label < classes_) ++pred_count_[static_cast<size_t>(pred_label)];
  if (gt_label != pred_label || gt_label >= classes_) return;
  const float error = std::fabs(pred_depth - gt_depth);  // float32, as numpy on float32 columns
  for (int t = 0; t < kRayThresholds; ++t) {
    if (!(error < kRayThresholdsM[t])) continue;
    ++tp_[static_cast<size_t>(t * classes_ + gt_label)];
    if (t == kAveThreshold && gt_flow && pred_flow && flow_classes_[static_cast<size_t>(gt_label)]) {
      // np.linalg.norm over float32 rows: float32 arithmetic.
      const float du = gt_flow[0] - static_cast<float>(pred_flow[0] * options_.flow_scale);
      const float dv = gt_flow[1] - static_cast<float>(pred_flow[1] * options_.flow_scale);
      flow_error_sum_[static_cast<size_t>(gt_label)] += std::sqrt(du * du + dv * dv);
      ++flow_error_count_[static_cast<size_t>(gt_label)];
    }
  }
}

void RayIou::reset() {
  std::fill(gt_count_.begin(), gt_count_.end(), 0);
  std::fill(pred_count_.begin(), pred_count_.end(), 0);
  std::fill(tp_.begin(), tp_.end(), 0);
  std::fill(flow_error_sum_.begin(), flow_error_sum_.end(), 0.0);
  std::fill(flow_error_count_.begin(), flow_error_count_.end(), 0);
  rays_ = 0;
}

void RayIou::merge(const RayIou& other) {
  for (int c = 0; c < classes_; ++c) {
    gt_count_[static_cast<size_t>(c)] += other.gt_count_[static_cast<size_t>(c)];
    pred_count_[static_cast<size_t>(c)] += other.pred_count_[static_cast<size_t>(c)];
    flow_error_sum_[static_cast<size_t>(c)] += other.flow_error_sum_[static_cast<size_t>(c)];
    flow_error_count_[static_cast<size_t>(c)] += other.flow_error_count_[static_cast<size_t>(c)];
  }
  for (size_t i = 0; i < tp_.size(); ++i) tp_[i] += other.tp_[i];
  rays_ += other.rays_;
}

std::vector<std::vector<double>> RayIou::class_iou() const {
  std::vector<std::vector<double>> iou(kRayThresholds, std::vector<double>(static_cast<size_t>(classes_)));
  for (int t = 0; t < kRayThresholds; ++t) {
    for (int c = 0; c < classes_; ++c) {
      const int64_t tp = tp_[static_cast<size_t>(t * classes_ + c)];
      const int64_t denominator =
          gt_count_[static_cast<size_t>(c)] + pred_count_[static_cast<size_t>(c)] - tp;
      iou[static_cast<size_t>(t)][static_cast<size_t>(c)] =
          denominator == 0 ? kNaN : static_cast<double>(tp) / static_cast<double>(denominator);
    }
  }
  return iou;
}

double RayIou::rayiou() const {
  std::vector<double> all;
  for (const auto& row : class_iou()) {
    for (int c = 0; c < classes_; ++c) {
      if (c != free_class_) all.push_back(row[static_cast<size_t>(c)]);
    }
  }
  return nanmean_except(all, -1);
}

double RayIou::rayiou_at(int threshold) const {
  return nanmean_except(class_iou()[static_cast<size_t>(threshold)], free_class_);
}

std::vector<double> RayIou::class_ave() const {
  std::vector<double> ave(static_cast<size_t>(classes_), kNaN);
  for (int c = 0; c < classes_; ++c) {
    const auto count = flow_error_count_[static_cast<size_t>(c)];
    if (flow_classes_[static_cast<size_t>(c)] && count > 0) {
      ave[static_cast<size_t>(c)] = flow_error_sum_[static_cast<size_t>(c)] / static_cast<double>(count);
    }
  }
  return ave;
}

double RayIou::mave() const {
  return nanmean_except(class_ave(), free_class_);
}

double RayIou::occ_score() const {
  const double m = mave();
  if (std::isnan(m)) return kNaN;  // Python's max(nan, 0.0) is nan
  return 0.9 * rayiou() + 0.1 * std::max(1.0 - m, 0.0);
}

int64_t add_frame_rays(const RayFrame& frame, const geom::VoxelGrid& grid,
                       const std::vector<Vec3f>& directions, RayIou& metrics) {
  const int64_t voxels = grid.count();
  const int free_class = metrics.free_class();
  // bit 0: GT occupied, bit 1: prediction occupied (label != free, as the
  // official occupancy; labels above free stay nonzero and count as occupied).
  std::vector<uint8_t> occupancy(static_cast<size_t>(voxels));
  for (int64_t v = 0; v < voxels; ++v) {
    occupancy[static_cast<size_t>(v)] =
        static_cast<uint8_t>((frame.gt[v] != free_class ? 1 : 0) | (frame.pred[v] != free_class ? 2 : 0));
  }
  const int64_t origins = static_cast<int64_t>(frame.origins_m.size());
  // One accumulator per origin with the metric's settings, merged in order.
  std::vector<RayIou> partial(static_cast<size_t>(origins), metrics);
  for (auto& part : partial) part.reset();
  parallel_for(origins, [&](int64_t o) {
    RayIou& local = partial[static_cast<size_t>(o)];
    const Vec3& origin = frame.origins_m[static_cast<size_t>(o)];
    for (const Vec3f& direction : directions) {
      const GridRay ray = to_grid_ray(grid, origin, direction);
      RayHit gt_hit, pred_hit;
      march_pair(occupancy.data(), grid, ray, gt_hit, pred_hit);
      const float* gt_flow = frame.gt_flow ? frame.gt_flow + 2 * gt_hit.voxel : nullptr;
      const float* pred_flow = frame.pred_flow ? frame.pred_flow + 2 * pred_hit.voxel : nullptr;
      local.add(frame.gt[gt_hit.voxel], depth_metres(gt_hit, grid.voxel_size_m[0]),
                frame.pred[pred_hit.voxel], depth_metres(pred_hit, grid.voxel_size_m[0]), gt_flow, pred_flow);
    }
  });
  for (const auto& part : partial) metrics.merge(part);
  return origins * static_cast<int64_t>(directions.size());
}

}  // namespace occ::metrics
