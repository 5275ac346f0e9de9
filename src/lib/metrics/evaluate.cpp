#include "metrics/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/threads.h"
#include "metrics/confusion.h"
#include "metrics/eval_inputs.h"
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

// Frames read per batch: enough that every thread decodes chunks (four per
// thread, so uneven chunks balance), at most about 64 MiB of decoded frames.
int64_t eval_batch_frames(int64_t frame_bytes) {
  const int64_t threads = thread_budget();
  const int64_t by_memory = (int64_t{64} << 20) / std::max<int64_t>(1, frame_bytes);
  return std::max<int64_t>(threads, std::min<int64_t>(4 * threads, by_memory));
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
    throw std::logic_error("sceneflow is scored by metrics::evaluate_kitti_sceneflow, not metrics::evaluate");
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

  // Frames are read a batch at a time, so the chunks of a batch decode
  // together on the thread budget; the buffers are reused, so memory does
  // not grow with the frame count.
  const bool want_labels = want_miou || want_ssc || want_rays;
  const bool read_camera_mask = want_miou && options.camera_mask,
             read_lidar_mask = want_ssc && ssc_valid_mask;
  const int64_t frame_bytes =
      voxels * ((want_labels ? 2 : 0) + read_camera_mask + read_lidar_mask) + (want_mave ? 16 * voxels : 0);
  const int64_t batch = eval_batch_frames(frame_bytes);
  const auto frames_of = [batch](int64_t values) { return static_cast<size_t>(batch * values); };
  std::vector<uint8_t> gt(want_labels ? frames_of(voxels) : 0), pred(gt.size());
  std::vector<uint8_t> camera_mask(read_camera_mask ? frames_of(voxels) : 0);
  std::vector<uint8_t> lidar_mask(read_lidar_mask ? frames_of(voxels) : 0);
  std::vector<float> gt_flow(want_mave ? frames_of(2 * voxels) : 0), pred_flow(gt_flow.size());
  std::vector<float> gt_depth, pred_depth;
  if (want_depth) {
    gt_depth.resize(static_cast<size_t>(inputs.depth_values_per_frame()));
    pred_depth.resize(gt_depth.size());
  }
  int64_t rays_cast = 0;
  double ray_seconds = 0;
  Progress progress("evaluating", inputs.count(), progress_style);
  try {
    for (int64_t first = 0; first < inputs.count(); first += batch) {
      const int64_t count = std::min(batch, inputs.count() - first);
      // With miou or ssc, the labels are checked in the loop that counts them.
      const bool count_labels = want_miou || want_ssc;
      if (want_labels) {
        inputs.read_gt_semantics(first, count, gt.data(), !count_labels);
        inputs.read_pred_semantics(first, count, pred.data(), !count_labels);
      }
      if (read_camera_mask) inputs.read_masks(first, count, "/occupancy/mask_camera", camera_mask.data());
      if (read_lidar_mask) inputs.read_masks(first, count, "/occupancy/mask_lidar", lidar_mask.data());
      if (want_mave) {
        inputs.read_gt_flows(first, count, gt_flow.data());
        inputs.read_pred_flows(first, count, pred_flow.data());
      }
      if (count_labels) {
        // One confusion matrix per frame on the thread budget, merged in
        // frame order (integer counts: the sum does not depend on the order),
        // after each frame's labels are checked; the first bad frame, GT
        // before predictions as when the reads check, is the error.
        std::vector<Occ3dMiou> miou_parts(want_miou ? static_cast<size_t>(count) : 0,
                                          Occ3dMiou(classes, free_class));
        std::vector<SscMetrics> ssc_parts(want_ssc ? static_cast<size_t>(count) : 0,
                                          SscMetrics(classes, free_class));
        std::vector<char> gt_ok(static_cast<size_t>(count)), pred_ok(gt_ok.size());
        parallel_for(count, [&](int64_t k) {
          const uint8_t* frame_gt = gt.data() + k * voxels;
          const uint8_t* frame_pred = pred.data() + k * voxels;
          gt_ok[static_cast<size_t>(k)] = inputs.labels_ok(frame_gt, true);
          pred_ok[static_cast<size_t>(k)] = inputs.labels_ok(frame_pred, false);
          if (!gt_ok[static_cast<size_t>(k)] || !pred_ok[static_cast<size_t>(k)]) return;
          if (want_miou)
            miou_parts[static_cast<size_t>(k)].add(
                frame_gt, frame_pred, read_camera_mask ? camera_mask.data() + k * voxels : nullptr, voxels);
          if (want_ssc)
            ssc_parts[static_cast<size_t>(k)].add(
                frame_gt, frame_pred, read_lidar_mask ? lidar_mask.data() + k * voxels : nullptr, voxels);
        });
        for (int64_t k = 0; k < count; ++k) {
          if (!gt_ok[static_cast<size_t>(k)]) inputs.check_labels(gt.data() + k * voxels, true, first + k);
        }
        for (int64_t k = 0; k < count; ++k) {
          if (!pred_ok[static_cast<size_t>(k)])
            inputs.check_labels(pred.data() + k * voxels, false, first + k);
        }
        for (const auto& part : miou_parts) miou.merge(part);
        for (const auto& part : ssc_parts) ssc.merge(part);
      }
      for (int64_t k = 0; k < count; ++k) {
        const int64_t i = first + k;
        const uint8_t* frame_gt = want_labels ? gt.data() + k * voxels : nullptr;
        const uint8_t* frame_pred = want_labels ? pred.data() + k * voxels : nullptr;
        if (want_rays) {
          RayFrame frame;
          frame.gt = frame_gt;
          frame.pred = frame_pred;
          if (want_mave) {
            frame.gt_flow = gt_flow.data() + 2 * k * voxels;
            frame.pred_flow = pred_flow.data() + 2 * k * voxels;
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
