#pragma once
// The inputs of one evaluation: the frames file (ground truth, poses), and
// predictions from an occ pred file or an Occ3D-style folder of .npz files,
// validated against each other up front and then read one frame at a time.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datasets/pred_file.h"
#include "h5/file.h"
#include "metrics/evaluate.h"
#include "metrics/ray_cast.h"
#include "metrics/ray_origins.h"

namespace occ::metrics {

class EvalInputs {
 public:
  explicit EvalInputs(const EvalOptions& options);

  const std::vector<std::string>& class_names() const { return class_names_; }
  int free_class() const { return free_class_; }
  const geom::VoxelGrid& grid() const { return grid_; }
  // Frames to evaluate, and keyframes skipped for lack of a prediction.
  int64_t count() const { return static_cast<int64_t>(gt_rows_.size()); }
  int64_t missing() const { return missing_; }
  int64_t gt_row(int64_t i) const { return gt_rows_[static_cast<size_t>(i)]; }
  const std::string& gt_path() const { return gt_.path(); }
  std::string pred_name() const;

  // Readers of frames [first, first + count) into caller buffers of count *
  // grid().count() elements (flow: twice that), frame after frame; the
  // chunks of all of them decode together on the thread budget (-j). Labels
  // are checked (predictions in [0, K), GT in [0, K) or 255) unless `check`
  // is false: then the caller checks every frame with labels_ok and
  // check_labels (evaluate does, in its per-frame loop, while the frame is
  // still in cache).
  void read_gt_semantics(int64_t first, int64_t count, uint8_t* out, bool check = true) const;
  void read_pred_semantics(int64_t first, int64_t count, uint8_t* out, bool check = true) const;
  // One frame's labels: true when all are valid; check_labels throws a
  // FormatError naming frame i's file, dataset (or .npz) and first bad voxel.
  bool labels_ok(const uint8_t* labels, bool is_gt) const;
  void check_labels(const uint8_t* labels, bool is_gt, int64_t i) const;
  void read_masks(int64_t first, int64_t count, const std::string& dataset, uint8_t* out) const;
  bool gt_has(const std::string& dataset) const { return gt_.exists(dataset); }
  void read_gt_flows(int64_t first, int64_t count, float* out) const;
  void read_pred_flows(int64_t first, int64_t count, float* out) const;
  bool pred_has_flow() const;
  // Depth maps: [C][H][W] per frame.
  int64_t depth_values_per_frame() const;
  void read_depths(int64_t i, float* gt, float* pred) const;
  const std::vector<int64_t>& depth_shape() const { return depth_shape_; }
  // Poses and LiDAR origins of every frame (for RayIoU's origins).
  std::vector<FramePose> frame_poses() const;

 private:
  void open_pred_file(const EvalOptions& options);
  void open_pred_dir(const EvalOptions& options);
  void check_batch(const uint8_t* labels, bool is_gt, int64_t first, int64_t count) const;
  std::vector<int64_t> gt_rows(int64_t first, int64_t count) const;
  std::vector<int64_t> pred_rows(int64_t first, int64_t count) const;

  h5::File gt_;
  std::optional<PredFile> pred_;  // not open in pred-dir mode
  std::string pred_dir_;
  std::vector<std::string> tokens_;  // pred-dir: token of each evaluated frame
  std::vector<int64_t> gt_rows_;
  std::vector<int64_t> pred_rows_;
  int64_t missing_ = 0;
  std::vector<std::string> class_names_;
  int free_class_ = 0;
  geom::VoxelGrid grid_;
  std::vector<int64_t> depth_shape_;
};

}  // namespace occ::metrics
