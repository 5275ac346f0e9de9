// occ eval: score predictions against the ground truth of a frames file with
// the metrics of both papers (Occ3D mIoU, SemanticKITTI SSC, RayIoU, mAVE,
// OccScore, depth errors).
#include "eval.h"

namespace occ::cmd {

void add_eval_options(CLI::App& app, EvalCommand* command) {
  metrics::EvalOptions& o = command->eval;
  app.add_option("pred", o.pred, "occ pred file to score (or use --pred-dir)");
  app.add_option("--gt", o.gt, "frames file with the ground truth the predictions were made on")->required();
  app.add_option(
      "--pred-dir", o.pred_dir,
      "folder of Occ3D-style predictions, <sample_token>.npz with key arr_0 or semantics (keyframes)");
  app.add_option("--metric", command->metric_list,
                 "comma-separated metrics: miou, ssc, rayiou, mave (adds mAVE and OccScore), depth");
  app.add_flag("--all-voxels", command->all_voxels,
               "miou over every voxel instead of the camera-visible ones");
  app.add_flag("--allow-missing", o.allow_missing,
               "with --pred-dir, skip keyframes that have no prediction file");
  app.add_flag("--geometry-only", o.geometry_only,
               "rayiou: class-agnostic variant of Let Occ Flow (the GT class is used for both sides)");
  app.add_option("--flow-scale", o.flow_scale, "mave: multiply predicted flow by this (Let Occ Flow: 2.0)");
  app.add_option("--origin-range", o.origin_range_m,
                 "rayiou: keep ray origins with |x| and |y| below this (m)");
  app.add_option("--max-origins", o.max_origins, "rayiou: at most this many origins per frame");
  app.add_option("--min-depth", o.depth.min_depth, "depth: GT is valid above this (m; nuScenes: 1)");
  app.add_option("--max-depth", o.depth.max_depth,
                 "depth: GT is valid below this; predictions are clamped to it (m)");
  app.add_flag("--eigen-crop", o.depth.eigen_crop, "depth: evaluate inside the KITTI Eigen crop only");
  app.add_flag("--json", command->json, "print the report as JSON");
  app.add_flag("--csv", command->csv, "print the report as CSV (section,name,value)");
  app.add_option("-o,--output", command->output, "also write the JSON report to this file");
}

}  // namespace occ::cmd
