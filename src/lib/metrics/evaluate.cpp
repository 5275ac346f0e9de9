#include "metrics/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "metrics/confusion.h"
#include "metrics/eval_inputs.h"
#include "metrics/kitti_sceneflow.h"
#include "metrics/rayiou.h"

namespace occ::metrics {
namespace {

using json = nlohmann::ordered_json;

// NaN (a class absent from both sides) is JSON null.
json number(double value) {
  return std::isnan(value) ? json(nullptr) : json(value);
}
json percent(double value) {
  return number(100.0 * value);
}

json class_table(const std::vector<std::string>& names, const std::vector<double>& values, int skip) {
  json table = json::object();
  for (size_t c = 0; c < names.size(); ++c) {
    if (static_cast<int>(c) != skip) table[names[c]] = percent(values[c]);
  }
  return table;
}

// mAVE's classes by name, for Occ3D and OpenOcc orders alike (ray_metrics.py flow_class_names).
std::vector<bool> flow_classes(const std::vector<std::string>& names) {
  static const std::vector<std::string> moving = {
      "car", "truck", "trailer", "bus", "construction_vehicle", "bicycle", "motorcycle", "pedestrian"};
  std::vector<bool> marks;
  for (const auto& name : names)
    marks.push_back(std::find(moving.begin(), moving.end(), name) != moving.end());
  return marks;
}

json depth_json(const DepthErrors& e) {
  return {{"abs_rel", number(e.abs_rel)},   {"sq_rel", number(e.sq_rel)}, {"rmse", number(e.rmse)},
          {"rmse_log", number(e.rmse_log)}, {"delta1", number(e.a1)},     {"delta2", number(e.a2)},
          {"delta3", number(e.a3)}};
}

}  // namespace

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names = {"miou", "ssc", "rayiou", "mave", "depth", "sceneflow"};
  return names;
}

bool EvalOptions::wants(const std::string& metric) const {
  return std::find(metrics.begin(), metrics.end(), metric) != metrics.end() ||
         (metric == "rayiou" && wants("mave"));
}

void EvalOptions::validate() const {
  if (gt.empty()) throw UsageError("the ground truth frames file is required (--gt)");
  if (pred.empty() == pred_dir.empty()) throw UsageError("give either a pred file or --pred-dir, not both");
  if (metrics.empty()) throw UsageError("--metric needs at least one metric");
  for (const auto& metric : metrics) {
    if (std::find(metric_names().begin(), metric_names().end(), metric) == metric_names().end()) {
      throw UsageError(
          str("unknown metric ", occ::quoted(metric), " (choose from ", join(metric_names(), ", "), ")"));
    }
  }
  if (wants("depth") && !pred_dir.empty()) throw UsageError("depth metrics need a pred file, not --pred-dir");
  if (wants("sceneflow") && (metrics.size() != 1 || pred_dir.empty())) {
    throw UsageError(
        "sceneflow is evaluated alone, on KITTI folders: --gt TRAINING_DIR --pred-dir RESULT_DIR");
  }
  if (!(origin_range_m > 0)) throw UsageError(str("--origin-range must be positive, got ", origin_range_m));
  if (max_origins < 1) throw UsageError(str("--max-origins must be at least 1, got ", max_origins));
  if (!std::isfinite(flow_scale)) throw UsageError("--flow-scale must be finite");
  depth.validate();
}

json evaluate(const EvalOptions& options, const ProgressStyle& progress_style) {
  options.validate();
  if (options.wants("sceneflow"))
    return evaluate_kitti_sceneflow({options.gt, options.pred_dir, options.allow_missing});
  const EvalInputs inputs(options);
  const auto& names = inputs.class_names();
  const int classes = static_cast<int>(names.size());
  const int free_class = inputs.free_class();
  const geom::VoxelGrid& grid = inputs.grid();
  const int64_t voxels = grid.count();
  const bool want_miou = options.wants("miou"), want_ssc = options.wants("ssc");
  const bool want_rays = options.wants("rayiou"), want_mave = options.wants("mave");
  const bool want_depth = options.wants("depth");
  if (want_miou && options.camera_mask && !inputs.gt_has("/occupancy/mask_camera")) {
    throw FormatError(str("cannot compute miou: ", occ::quoted(inputs.gt_path()),
                          " has no dataset '/occupancy/mask_camera' (--all-voxels evaluates every voxel)"));
  }
  if (want_mave && (!inputs.gt_has("/occupancy/flow") || !inputs.pred_has_flow())) {
    throw FormatError(str("cannot compute mave: it needs dataset '/occupancy/flow' in ",
                          occ::quoted(inputs.gt_path()),
                          " and predicted flow ('/pred/flow', or 'flow' in the .npz files) in ",
                          occ::quoted(inputs.pred_name())));
  }
  const bool ssc_valid_mask = inputs.gt_has("/occupancy/mask_lidar");

  Occ3dMiou miou(classes, free_class);
  SscMetrics ssc(classes, free_class);
  RayIou rays(classes, free_class, flow_classes(names), {options.geometry_only, options.flow_scale});
  DepthMetrics depth(options.depth);
  std::vector<FramePose> poses;
  std::vector<Vec3f> directions;
  if (want_rays) {
    poses = inputs.frame_poses();
    directions = lidar_ray_directions();
  }
  const OriginOptions origin_options{options.origin_range_m, options.max_origins};

  // One frame's buffers, reused: memory does not grow with the frame count.
  std::vector<uint8_t> gt(static_cast<size_t>(voxels)), pred(static_cast<size_t>(voxels)), mask;
  std::vector<float> gt_flow, pred_flow, gt_depth, pred_depth;
  if (want_mave) {
    gt_flow.resize(static_cast<size_t>(2 * voxels));
    pred_flow.resize(static_cast<size_t>(2 * voxels));
  }
  if (want_depth) {
    gt_depth.resize(static_cast<size_t>(inputs.depth_values_per_frame()));
    pred_depth.resize(gt_depth.size());
  }
  mask.resize(static_cast<size_t>(voxels));
  int64_t rays_cast = 0;
  double ray_seconds = 0;
  Progress progress("evaluating", inputs.count(), progress_style);
  try {
    for (int64_t i = 0; i < inputs.count(); ++i) {
      if (want_miou || want_ssc || want_rays) {
        inputs.read_gt_semantics(i, gt.data());
        inputs.read_pred_semantics(i, pred.data());
      }
      if (want_miou) {
        if (options.camera_mask) inputs.read_mask(i, "/occupancy/mask_camera", mask.data());
        miou.add(gt.data(), pred.data(), options.camera_mask ? mask.data() : nullptr, voxels);
      }
      if (want_ssc) {
        if (ssc_valid_mask) inputs.read_mask(i, "/occupancy/mask_lidar", mask.data());
        ssc.add(gt.data(), pred.data(), ssc_valid_mask ? mask.data() : nullptr, voxels);
      }
      if (want_rays) {
        RayFrame frame;
        frame.gt = gt.data();
        frame.pred = pred.data();
        if (want_mave) {
          inputs.read_gt_flow(i, gt_flow.data());
          inputs.read_pred_flow(i, pred_flow.data());
          frame.gt_flow = gt_flow.data();
          frame.pred_flow = pred_flow.data();
        }
        frame.origins_m = ray_origins(poses, inputs.gt_row(i), origin_options);
        if (log::level() >= log::Level::debug) {
          for (const auto& o : frame.origins_m) {
            char text[96];
            std::snprintf(text, sizeof text, "%.17g %.17g %.17g", o[0], o[1], o[2]);
            log::debug("frame ", inputs.gt_row(i), " ray origin ", text);
          }
        }
        const auto start = std::chrono::steady_clock::now();
        rays_cast += add_frame_rays(frame, grid, directions, rays);
        ray_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      if (want_depth) {
        inputs.read_depths(i, gt_depth.data(), pred_depth.data());
        const auto& shape = inputs.depth_shape();
        const int64_t pixels = shape[2] * shape[3];
        for (int64_t c = 0; c < shape[1]; ++c) {
          depth.add_image(
              gt_depth.data() + c * pixels, pred_depth.data() + c * pixels, shape[2], shape[3],
              str(occ::quoted(inputs.pred_name()), " dataset '/pred/depth' frame ", i, " camera ", c));
        }
      }
      progress.advance();
    }
  } catch (...) {
    progress.cancel();
    throw;
  }
  progress.finish();

  json report = {{"gt", inputs.gt_path()},      {"pred", inputs.pred_name()}, {"frames", inputs.count()},
                 {"missing", inputs.missing()}, {"classes", names},           {"free_class", free_class}};
  if (want_miou) {
    report["miou"] = {{"miou", percent(miou.miou())},
                      {"camera_mask", options.camera_mask},
                      {"class_iou", class_table(names, miou.class_iou(), free_class)}};
  }
  if (want_ssc) {
    report["ssc"] = {{"completion_iou", percent(ssc.completion_iou())},
                     {"precision", percent(ssc.precision())},
                     {"recall", percent(ssc.recall())},
                     {"miou", percent(ssc.miou())},
                     {"invalid_mask", ssc_valid_mask},
                     {"class_iou", class_table(names, ssc.class_iou(), free_class)}};
  }
  if (want_rays) {
    const auto iou = rays.class_iou();
    json per_class = json::object();
    for (int c = 0; c < classes; ++c) {
      if (c != free_class) {
        per_class[names[static_cast<size_t>(c)]] = {percent(iou[0][static_cast<size_t>(c)]),
                                                    percent(iou[1][static_cast<size_t>(c)]),
                                                    percent(iou[2][static_cast<size_t>(c)])};
      }
    }
    report["rayiou"] = {{"rayiou", percent(rays.rayiou())},
                        {"rayiou@1", percent(rays.rayiou_at(0))},
                        {"rayiou@2", percent(rays.rayiou_at(1))},
                        {"rayiou@4", percent(rays.rayiou_at(2))},
                        {"geometry_only", options.geometry_only},
                        {"rays_scored", rays.rays()},
                        {"rays_cast", rays_cast},
                        {"ray_seconds", ray_seconds},
                        {"class_iou", per_class}};
    if (want_mave) {
      json ave = json::object();
      const auto class_ave = rays.class_ave();
      for (int c = 0; c < classes; ++c) {
        if (flow_classes(names)[static_cast<size_t>(c)])
          ave[names[static_cast<size_t>(c)]] = number(class_ave[static_cast<size_t>(c)]);
      }
      report["mave"] = {{"mave", number(rays.mave())},
                        {"occ_score", percent(rays.occ_score())},
                        {"flow_scale", options.flow_scale},
                        {"class_ave", ave}};
    }
  }
  if (want_depth) {
    report["depth"] = {{"images", depth.images()},
                       {"skipped_images", depth.skipped_images()},
                       {"min_depth", options.depth.min_depth},
                       {"max_depth", options.depth.max_depth},
                       {"eigen_crop", options.depth.eigen_crop},
                       {"raw", depth_json(depth.raw())},
                       {"median_scaled", depth_json(depth.median_scaled())}};
  }
  return report;
}

}  // namespace occ::metrics
