#pragma once
// `occ eval` as a library call: streams predictions and ground truth frame by
// frame through the chosen metric accumulators and returns one JSON report.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "metrics/depth.h"

namespace occ::metrics {

struct EvalOptions {
  std::string pred;                          // occ pred file (kind "pred"); or
  std::string pred_dir;                      // Occ3D submission folder: <token>.npz, key arr_0 or semantics
  std::string gt;                            // frames file with the ground truth
  std::vector<std::string> metrics{"miou"};  // miou, ssc, rayiou, mave, depth
  bool camera_mask = true;       // miou over mask_camera voxels only (Occ3D's use_image_mask=True)
  bool allow_missing = false;    // pred-dir: skip keyframes without a prediction file
  bool geometry_only = false;    // rayiou: Let Occ Flow's class-agnostic variant
  double flow_scale = 1.0;       // mave: multiplies predicted flow (Let Occ Flow uses 2.0)
  double origin_range_m = 39.0;  // rayiou: keep origins with |x|, |y| below this
  int max_origins = 8;           // rayiou: origins per frame at most
  DepthOptions depth;

  // Throws UsageError for impossible combinations.
  void validate() const;
  bool wants(const std::string& metric) const;
};

// The metric names `--metric` accepts.
const std::vector<std::string>& metric_names();

// Runs the evaluation of every metric but sceneflow, which reads KITTI's
// PNG maps (OpenCV's codecs) and is metrics::evaluate_kitti_sceneflow
// (kitti_sceneflow.h): keeping it out of this call keeps OpenCV out of the
// programs that only score voxels (`occ eval` runs in the executable,
// docs/startup.md). Throws FormatError/IoError for bad inputs (grid or class
// mismatch, frames uuid mismatch, labels out of range, missing predictions
// without allow_missing), each naming the file and dataset, and
// std::logic_error when asked for sceneflow.
nlohmann::ordered_json evaluate(const EvalOptions& options, const ProgressStyle& progress = {});

}  // namespace occ::metrics
