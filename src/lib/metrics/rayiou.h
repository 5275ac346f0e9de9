#pragma once
// RayIoU, mAVE and OccScore (SparseOcc loaders/ray_metrics.py; the CVPR 2024
// occupancy-and-flow challenge copy adds flow), plus Let Occ Flow's
// geometry-only variant (eliliu2233/occ-flow utils/ray_iou_geo/metric.py).
#include <cstdint>
#include <string>
#include <vector>

#include "metrics/ray_cast.h"

namespace occ::metrics {

constexpr int kRayThresholds = 3;
constexpr float kRayThresholdsM[kRayThresholds] = {1.0f, 2.0f, 4.0f};

struct RayIouOptions {
  bool geometry_only = false;  // the GT class at the hit is used for prediction and GT
  double flow_scale = 1.0;     // multiplies predicted flow (Let Occ Flow: 2.0 per 0.5 s keyframe step)
};

// Counts over the dataset. A ray whose GT label is free is dropped; for each
// threshold thr, TP = same class AND |d_pred - d_gt| < thr (float32, strict).
class RayIou {
 public:
  // `flow_classes[c]` marks the classes mAVE averages over.
  RayIou(int classes, int free_class, std::vector<bool> flow_classes, RayIouOptions options = {});

  // One ray's result on both grids. Flows may be null (no mAVE).
  void add(int gt_label, float gt_depth, int pred_label, float pred_depth, const float* gt_flow,
           const float* pred_flow);
  void merge(const RayIou& other);
  void reset();  // zero counts, keep settings

  // IoU_c = TP / (gt + pred - TP), NaN for 0/0; [threshold][class].
  std::vector<std::vector<double>> class_iou() const;
  double rayiou() const;                  // nanmean over thresholds x non-free classes
  double rayiou_at(int threshold) const;  // nanmean over non-free classes
  // AVE per class at the 2 m threshold (NaN where no TP ray or not a flow class).
  std::vector<double> class_ave() const;
  double mave() const;
  double occ_score() const;  // 0.9 RayIoU + 0.1 max(1 - mAVE, 0); NaN when mAVE is NaN
  int64_t rays() const { return rays_; }
  int classes() const { return classes_; }
  int free_class() const { return free_class_; }

 private:
  int classes_;
  int free_class_;
  std::vector<bool> flow_classes_;
  RayIouOptions options_;
  std::vector<int64_t> gt_count_, pred_count_;
  std::vector<int64_t> tp_;  // [threshold * classes + class]
  std::vector<double> flow_error_sum_;
  std::vector<int64_t> flow_error_count_;
  int64_t rays_ = 0;  // rays scored (GT not free)
};

// One frame's inputs: labels [x][y][z], flows [x][y][z][2] (may be null).
struct RayFrame {
  const uint8_t* gt = nullptr;
  const uint8_t* pred = nullptr;
  const float* gt_flow = nullptr;
  const float* pred_flow = nullptr;
  std::vector<Vec3> origins_m;  // ray origins in the ego frame
};

// Casts every direction from every origin through both grids and adds the
// rays to `metrics`; parallel over origins, merged in origin order so the
// result does not depend on the thread count. Returns the rays cast.
int64_t add_frame_rays(const RayFrame& frame, const geom::VoxelGrid& grid,
                       const std::vector<Vec3f>& directions, RayIou& metrics);

}  // namespace occ::metrics
