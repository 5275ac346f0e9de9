// occ eval: score predictions against the ground truth of a frames file with
// the metrics of both papers (Occ3D mIoU, SemanticKITTI SSC, RayIoU, mAVE,
// OccScore, depth errors).
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "core/strings.h"
#include "h5/atomic_file.h"
#include "metrics/evaluate.h"
#include "metrics/report.h"

namespace occ::cmd {
namespace {

struct EvalCommand {
  metrics::EvalOptions eval;
  std::string metric_list = "miou";
  bool json = false;
  bool csv = false;
  bool all_voxels = false;
  std::string output;  // -o: also write the JSON report here
};

void write_report(const std::string& path, const std::string& text) {
  h5::AtomicPath atomic(path);
  {
    std::ofstream out(atomic.temp_path(), std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw IoError(str("cannot write ", occ::quoted(path)));
  }
  atomic.commit();
}

void run_eval(EvalCommand& command) {
  command.eval.metrics.clear();
  std::string item;
  for (char c : command.metric_list + ",") {
    if (c != ',') {
      item += c;
    } else if (!item.empty()) {
      command.eval.metrics.push_back(item);
      item.clear();
    }
  }
  command.eval.camera_mask = !command.all_voxels;
  if (command.json && command.csv) throw UsageError("choose one of --json and --csv");
  const auto report = metrics::evaluate(command.eval);
  if (!command.output.empty()) write_report(command.output, report.dump(2) + "\n");
  if (command.json) {
    std::cout << report.dump(2) << "\n";
  } else if (command.csv) {
    std::cout << metrics::report_csv(report);
  } else {
    std::cout << metrics::report_text(report);
  }
}

}  // namespace

Runner register_eval(CLI::App& app) {
  auto command = std::make_shared<EvalCommand>();
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
  return [command] { run_eval(*command); };
}

}  // namespace occ::cmd
