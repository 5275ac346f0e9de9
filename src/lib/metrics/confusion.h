#pragma once
// Voxel-wise semantic metrics: Occ3D-nuScenes mIoU and SemanticKITTI
// semantic scene completion. Both accumulate one confusion matrix over the
// whole set (not per frame), so they stream frame by frame in constant memory.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace occ::metrics {

// counts[row * classes + col] over int64.
struct Confusion {
  int classes = 0;
  std::vector<int64_t> counts;

  explicit Confusion(int class_count = 0)
      : classes(class_count), counts(static_cast<size_t>(class_count) * class_count, 0) {}
  int64_t at(int row, int col) const { return counts[static_cast<size_t>(row) * classes + col]; }
  void merge(const Confusion& other);
};

// Occ3D mIoU as occ_metrics.py (Metric_mIoU, use_image_mask=True) computes it
// (CVPR2023-3D-Occupancy-Prediction, projects/mmdet3d_plugin/datasets/occ_metrics.py):
// one confusion matrix via bincount(K * gt + pred) over camera-visible voxels;
// GT outside [0, K) is dropped; IoU_c = diag / (rowsum + colsum - diag);
// mIoU = nanmean over every class but free (0/0 -> NaN -> skipped).
class Occ3dMiou {
 public:
  Occ3dMiou(int classes, int free_class);
  // `mask` selects voxels where nonzero (mask_camera cast to bool); null:
  // every voxel. Predictions must already be checked to lie in [0, K)
  // (out-of-range values are not detected here).
  void add(const uint8_t* gt, const uint8_t* pred, const uint8_t* mask, int64_t voxels);
  void merge(const Occ3dMiou& other) { confusion_.merge(other.confusion_); }

  // Rows are GT, columns predictions.
  const Confusion& confusion() const { return confusion_; }
  std::vector<double> class_iou() const;  // NaN where a class is absent from both
  double miou() const;                    // nanmean over non-free classes; NaN if all are NaN
  int free_class() const { return free_class_; }

 private:
  Confusion confusion_;
  int free_class_;
};

// SemanticKITTI SSC as evaluate_completion.py and auxiliary/np_ioueval.py
// compute it (PRBonn/semantic-kitti-api): voxels with GT 255 or invalid are
// dropped; one confusion matrix (rows prediction, columns GT);
// IoU_c = tp / (tp + fp + fn + 1e-15), so an absent class scores 0;
// mIoU = mean over the non-empty classes; completion IoU, precision and
// recall treat every non-empty class as "occupied" (precision and recall add
// float32 epsilon to the denominator as the official script does).
class SscMetrics {
 public:
  SscMetrics(int classes, int empty_class);
  // `valid` nonzero where the voxel takes part (null: all); GT 255 ignored.
  void add(const uint8_t* gt, const uint8_t* pred, const uint8_t* valid, int64_t voxels);
  void merge(const SscMetrics& other) { confusion_.merge(other.confusion_); }

  // Rows are predictions, columns GT (the official orientation).
  const Confusion& confusion() const { return confusion_; }
  std::vector<double> class_iou() const;
  double miou() const;
  double completion_iou() const;
  double precision() const;
  double recall() const;
  int empty_class() const { return empty_class_; }

 private:
  Confusion confusion_;
  int empty_class_;
};

// nanmean over `values` except index `skip` (-1: none); NaN when all are NaN.
double nanmean_except(const std::vector<double>& values, int skip);

}  // namespace occ::metrics
