#include "labels/flow_labels.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/strings.h"
#include "core/threads.h"
#include "datasets/frames_file.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/half.h"
#include "labels/camera_motion.h"
#include "labels/opencv_threads.h"

namespace occ::labels {
namespace {

// Both directions of the flow between frames a < b, per camera.
struct PairFlow {
  std::vector<cv::Mat> a_to_b, b_to_a;
};
using PairKey = std::pair<int64_t, int64_t>;

// Everything stored for one frame, camera and direction.
struct DirectionLabels {
  cv::Mat flow, valid, static_flow, dynamic;
};
struct FrameCameraLabels {
  std::vector<DirectionLabels> directions;  // in options.pairs order
  cv::Mat movable;
};

struct ReportSums {
  FlowErrorSum all_static, all_dynamic, valid_static, valid_dynamic;
  int64_t consistent = 0, considered = 0, dynamic = 0;
};

int64_t neighbour(const FramesFile& frames, int64_t frame, const std::string& direction) {
  return direction == "next" ? frames.next(frame) : frames.prev(frame);
}

cv::Mat resized(const cv::Mat& map, cv::Size size, int interpolation) {
  if (map.size() == size) return map;
  cv::Mat out;
  cv::resize(map, out, size, 0, 0, interpolation);
  return out;
}

void append_rows(std::vector<Half>& out, const cv::Mat& map) {
  const float* values = map.ptr<float>();
  for (size_t i = 0; i < map.total() * map.channels(); ++i) out.push_back(float_to_half(values[i]));
}

void append_rows(std::vector<uint8_t>& out, const cv::Mat& map) {
  out.insert(out.end(), map.ptr<uint8_t>(), map.ptr<uint8_t>() + map.total());
}

// Object motions between two frames from boxes matched by instance id.
std::vector<std::pair<int, ObjectMotion>> object_motions(const FramesFile& frames, int64_t from, int64_t to,
                                                         int64_t camera, std::vector<int>* moving_ids) {
  std::vector<std::pair<int, ObjectMotion>> motions;
  const auto boxes_to = frames.boxes(to);
  const Matrix4 world_from_ego_from = frames.world_from_ego(from, camera);
  const Matrix4 world_from_ego_to = frames.world_from_ego(to, camera);
  for (const auto& box : frames.boxes(from)) {
    for (const auto& other : boxes_to) {
      if (other.instance != box.instance) continue;
      ObjectMotion motion{world_from_box(world_from_ego_from, box), world_from_box(world_from_ego_to, other)};
      const double moved = std::hypot(motion.world_from_box_to[3] - motion.world_from_box_from[3],
                                      motion.world_from_box_to[7] - motion.world_from_box_from[7]);
      if (moved > 0.02) moving_ids->push_back(box.instance);
      motions.emplace_back(box.instance, motion);
    }
  }
  return motions;
}

}  // namespace

void FlowLabelOptions::validate() const {
  if (frames_path.empty()) throw UsageError("a frames file is required");
  if (output_path.empty()) throw UsageError("-o/--output is required");
  check_flow_method(method);
  if (pairs.empty()) throw UsageError("--pairs needs next, prev or both");
  for (const auto& pair : pairs) {
    if (pair != "next" && pair != "prev")
      throw UsageError(str("unknown pair ", quoted(pair), ": use next and/or prev"));
  }
  if (std::count(pairs.begin(), pairs.end(), "next") > 1 ||
      std::count(pairs.begin(), pairs.end(), "prev") > 1) {
    throw UsageError("--pairs names a direction twice");
  }
  if (!(fb_alpha >= 0) || !(fb_beta >= 0)) throw UsageError("--fb-alpha and --fb-beta must be non-negative");
  if (!(dynamic_threshold_px > 0)) throw UsageError("--dynamic-threshold must be positive");
  if (depth_source != "auto" && depth_source != "camera" && depth_source != "lidar" &&
      depth_source != "none") {
    throw UsageError(str("unknown --depth ", quoted(depth_source), ": use auto, camera, lidar or none"));
  }
}

FlowLabelSummary make_flow_labels(const FlowLabelOptions& options, const nlohmann::json& resolved_options) {
  options.validate();
  const FramesFile frames(options.frames_path);
  const std::string& source = frames.path();
  if (!frames.has_images())
    throw FormatError(str(quoted(source), " has no camera images: flow-labels needs them"));
  const int64_t frame_count = frames.frame_count();
  const int64_t camera_count = frames.camera_count();
  bool any_pair = false;
  for (int64_t frame = 0; frame < frame_count && !any_pair; ++frame) {
    for (const auto& direction : options.pairs)
      any_pair = any_pair || neighbour(frames, frame, direction) >= 0;
  }
  if (!any_pair) {
    throw FormatError(str(quoted(source), " has no frame with a ", join(options.pairs, " or "),
                          " frame in the same scene: flow labels need consecutive frames"));
  }

  FlowLabelSummary summary;
  const bool has_camera_depth = frames.has("/cameras/depth");
  const bool has_lidar = frames.has("/lidar/points") && frames.has("/lidar/offsets");
  summary.depth_source = options.depth_source;
  if (options.depth_source == "auto")
    summary.depth_source = has_camera_depth ? "camera" : has_lidar ? "lidar" : "none";
  if (summary.depth_source == "camera" && !has_camera_depth) {
    throw FormatError(str(quoted(source), " has no '/cameras/depth' (asked for by --depth camera)"));
  }
  if (summary.depth_source == "lidar" && !has_lidar) {
    throw FormatError(str(quoted(source), " has no '/lidar/points' (asked for by --depth lidar)"));
  }
  const bool has_semantics = frames.has("/cameras/semantics");
  summary.movable_source = has_semantics ? "semantics" : frames.has("/boxes/offsets") ? "boxes" : "none";
  const bool with_static = summary.depth_source != "none";
  const bool with_movable = summary.movable_source != "none";
  const bool with_dynamic = with_static && with_movable;
  if (!with_dynamic) {
    log::warn("no ",
              with_static ? "movable-object source (semantics or boxes)" : "depth (camera depth or LiDAR)",
              " in ", quoted(source), ": the dynamic mask is not written");
  }
  summary.has_report = options.report;
  if (options.report &&
      !(has_camera_depth && frames.has("/cameras/instance") && frames.has("/boxes/offsets"))) {
    throw FormatError(str(quoted(source),
                          " lacks '/cameras/depth', '/cameras/instance' or '/boxes': --report needs "
                          "the ground truth of synthetic frames"));
  }
  const std::vector<bool> movable_ids = movable_classes(frames.class_names());
  const cv::Size native = frames.image(0, 0).size();
  const cv::Size size = options.size.empty() ? native : options.size;

  h5::OutputArtifact out(options.output_path, "flow", resolved_options);
  out.set_frames_uuid(frames.uuid());
  nlohmann::json parameters = {{"fb_alpha", options.fb_alpha},
                               {"fb_beta", options.fb_beta},
                               {"dynamic_threshold_px", options.dynamic_threshold_px},
                               {"depth_source", summary.depth_source},
                               {"movable_source", summary.movable_source}};
  h5::write_attribute(out.file(), "/", "method", options.method);
  h5::write_attribute(out.file(), "/", "parameters", parameters.dump());
  h5::write_attribute(out.file(), "/", "image_size", std::vector<int64_t>{size.height, size.width});
  h5::write_attribute(out.file(), "/", "pairs", options.pairs);
  h5::DatasetOptions dataset_options;
  dataset_options.compression = options.compression;
  const h5::Shape map_shape{frame_count, camera_count, size.height, size.width};
  const h5::Shape flow_shape{frame_count, camera_count, size.height, size.width, 2};
  for (const auto& direction : options.pairs) {
    h5::create_dataset(out.file(), "/" + direction + "/flow", h5::DType::float16, flow_shape,
                       dataset_options);
    h5::create_dataset(out.file(), "/" + direction + "/valid", h5::DType::uint8, map_shape, dataset_options);
    if (with_static) {
      h5::create_dataset(out.file(), "/" + direction + "/static_flow", h5::DType::float16, flow_shape,
                         dataset_options);
    }
    if (with_dynamic) {
      h5::create_dataset(out.file(), "/" + direction + "/dynamic", h5::DType::uint8, map_shape,
                         dataset_options);
    }
  }
  if (with_movable) h5::create_dataset(out.file(), "/movable", h5::DType::uint8, map_shape, dataset_options);

  auto load_image = [&](int64_t frame, int64_t camera) {
    return resized(frames.image(frame, camera), size, cv::INTER_AREA);
  };
  auto load_depth = [&](int64_t frame, int64_t camera) {
    if (summary.depth_source == "camera")
      return resized(frames.depth(frame, camera), size, cv::INTER_NEAREST);
    const CameraView view = camera_view(frames, frame, camera, native, size);
    return lidar_depth(frames.lidar_points(frame), frames.ego_from_camera(frame, camera), view.intrinsics,
                       size);
  };

  std::map<PairKey, PairFlow> cache;
  std::mutex mutex;
  double flow_seconds = 0;
  ReportSums sums;
  Progress progress("flow-labels frames", frame_count);
  const int64_t batch = std::max<int64_t>(2, 2 * thread_budget());
  for (int64_t start = 0; start < frame_count; start += batch) {
    const int64_t end = std::min(frame_count, start + batch);
    // 1. Optical flow of every pair this batch needs and the cache lacks.
    std::vector<PairKey> missing;
    for (int64_t frame = start; frame < end; ++frame) {
      for (const auto& direction : options.pairs) {
        const int64_t other = neighbour(frames, frame, direction);
        if (other < 0) continue;
        const PairKey key{std::min(frame, other), std::max(frame, other)};
        if (!cache.count(key) && std::find(missing.begin(), missing.end(), key) == missing.end())
          missing.push_back(key);
      }
    }
    for (const auto& key : missing)
      cache[key] = PairFlow{std::vector<cv::Mat>(camera_count), std::vector<cv::Mat>(camera_count)};
    {
      OpenCvThreadsForOuterLoop single_threaded_opencv;
      parallel_for(static_cast<int64_t>(missing.size()) * camera_count, [&](int64_t item) {
        const PairKey key = missing[static_cast<size_t>(item / camera_count)];
        const int64_t camera = item % camera_count;
        const cv::Mat a = load_image(key.first, camera), b = load_image(key.second, camera);
        const auto begin = std::chrono::steady_clock::now();
        cv::Mat a_to_b = optical_flow(a, b, options.method);
        cv::Mat b_to_a = optical_flow(b, a, options.method);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
        std::lock_guard<std::mutex> lock(mutex);
        PairFlow& pair = cache[key];
        pair.a_to_b[camera] = a_to_b;
        pair.b_to_a[camera] = b_to_a;
        flow_seconds += seconds;
        summary.flow_computations += 2;
      });
    }
    // 2. Labels of every frame and camera of the batch.
    std::vector<FrameCameraLabels> labels(static_cast<size_t>((end - start) * camera_count));
    OpenCvThreadsForOuterLoop single_threaded_opencv;
    parallel_for((end - start) * camera_count, [&](int64_t item) {
      const int64_t frame = start + item / camera_count;
      const int64_t camera = item % camera_count;
      FrameCameraLabels& result = labels[static_cast<size_t>(item)];
      if (has_semantics) {
        const cv::Mat semantics = resized(frames.semantics(frame, camera), size, cv::INTER_NEAREST);
        result.movable = cv::Mat::zeros(size, CV_8U);
        for (int y = 0; y < size.height; ++y) {
          for (int x = 0; x < size.width; ++x) {
            const int id = semantics.at<uint8_t>(y, x);
            result.movable.at<uint8_t>(y, x) = id < static_cast<int>(movable_ids.size()) && movable_ids[id];
          }
        }
      } else if (with_movable) {
        const CameraView view = camera_view(frames, frame, camera, native, size);
        result.movable = movable_from_boxes(frames.boxes(frame), movable_ids,
                                            frames.ego_from_camera(frame, camera), view.intrinsics, size);
      }
      const cv::Mat depth = with_static ? load_depth(frame, camera) : cv::Mat();
      ReportSums local;
      for (const auto& direction : options.pairs) {
        DirectionLabels labels_d;
        const int64_t other = neighbour(frames, frame, direction);
        if (other < 0) {
          labels_d.flow = cv::Mat::zeros(size, CV_32FC2);
          labels_d.valid = cv::Mat::zeros(size, CV_8U);
          labels_d.static_flow =
              cv::Mat(size, CV_32FC2, cv::Scalar::all(std::numeric_limits<float>::quiet_NaN()));
          labels_d.dynamic = cv::Mat::zeros(size, CV_8U);
          result.directions.push_back(labels_d);
          continue;
        }
        const PairFlow& pair = cache.at({std::min(frame, other), std::max(frame, other)});
        const bool forward_is_a = frame < other;
        labels_d.flow = (forward_is_a ? pair.a_to_b : pair.b_to_a)[camera];
        const cv::Mat& backward = (forward_is_a ? pair.b_to_a : pair.a_to_b)[camera];
        labels_d.valid = forward_backward_valid(labels_d.flow, backward, options.fb_alpha, options.fb_beta);
        local.consistent += cv::countNonZero(labels_d.valid);
        local.considered += static_cast<int64_t>(labels_d.valid.total());
        const CameraView from = camera_view(frames, frame, camera, native, size);
        const CameraView to = camera_view(frames, other, camera, native, size);
        if (with_static) {
          const ProjectedFlow rigid = project_flow(depth, from, to);
          labels_d.static_flow = rigid.flow.clone();
          labels_d.static_flow.setTo(cv::Scalar::all(std::numeric_limits<float>::quiet_NaN()),
                                     rigid.known == 0);
          if (with_dynamic) {
            // Let Occ Flow's dynamic ray: movable AND valid AND EPE(flow, static) > threshold.
            labels_d.dynamic = cv::Mat::zeros(size, CV_8U);
            for (int y = 0; y < size.height; ++y) {
              for (int x = 0; x < size.width; ++x) {
                if (!result.movable.at<uint8_t>(y, x) || !labels_d.valid.at<uint8_t>(y, x) ||
                    !rigid.known.at<uint8_t>(y, x))
                  continue;
                const cv::Vec2f difference =
                    labels_d.flow.at<cv::Vec2f>(y, x) - rigid.flow.at<cv::Vec2f>(y, x);
                labels_d.dynamic.at<uint8_t>(y, x) =
                    std::hypot(difference[0], difference[1]) > options.dynamic_threshold_px;
              }
            }
            local.dynamic += cv::countNonZero(labels_d.dynamic);
          }
        }
        if (options.report) {
          // True flow: depth, ego motion and each object's box motion; pixels
          // whose target leaves the image or is hidden at the target frame
          // have no true flow.
          const cv::Mat instance = resized(frames.instance(frame, camera), size, cv::INTER_NEAREST);
          std::vector<int> moving_ids;
          const auto motions = object_motions(frames, frame, other, camera, &moving_ids);
          const ProjectedFlow truth = project_flow(depth, from, to, instance, motions);
          const cv::Mat depth_other = load_depth(other, camera);
          cv::Mat is_static = cv::Mat::zeros(size, CV_8U), is_dynamic = cv::Mat::zeros(size, CV_8U);
          for (int y = 0; y < size.height; ++y) {
            for (int x = 0; x < size.width; ++x) {
              if (!truth.known.at<uint8_t>(y, x)) continue;
              const cv::Vec2f f = truth.flow.at<cv::Vec2f>(y, x);
              const int u = static_cast<int>(std::lround(x + f[0])),
                        v = static_cast<int>(std::lround(y + f[1]));
              if (u < 0 || v < 0 || u >= size.width || v >= size.height) continue;
              const float z_target = truth.depth_at_target.at<float>(y, x);
              if (depth_other.at<float>(v, u) < z_target - std::max(0.5f, 0.05f * z_target))
                continue;  // occluded
              const int id = instance.at<int>(y, x);
              const bool moving =
                  id >= 0 && std::find(moving_ids.begin(), moving_ids.end(), id) != moving_ids.end();
              (moving ? is_dynamic : is_static).at<uint8_t>(y, x) = 1;
            }
          }
          local.all_static.add(labels_d.flow, truth.flow, is_static);
          local.all_dynamic.add(labels_d.flow, truth.flow, is_dynamic);
          local.valid_static.add(labels_d.flow, truth.flow, is_static & labels_d.valid);
          local.valid_dynamic.add(labels_d.flow, truth.flow, is_dynamic & labels_d.valid);
        }
        result.directions.push_back(labels_d);
      }
      std::lock_guard<std::mutex> lock(mutex);
      for (auto [total, part] : {std::pair{&sums.all_static, &local.all_static},
                                 {&sums.all_dynamic, &local.all_dynamic},
                                 {&sums.valid_static, &local.valid_static},
                                 {&sums.valid_dynamic, &local.valid_dynamic}}) {
        total->epe_sum += part->epe_sum;
        total->outliers += part->outliers;
        total->pixels += part->pixels;
      }
      sums.consistent += local.consistent;
      sums.considered += local.considered;
      sums.dynamic += local.dynamic;
    });
    // 3. Write the batch in frame order.
    for (int64_t frame = start; frame < end; ++frame) {
      for (size_t d = 0; d < options.pairs.size(); ++d) {
        std::vector<Half> flow, static_flow;
        std::vector<uint8_t> valid, dynamic;
        for (int64_t camera = 0; camera < camera_count; ++camera) {
          const DirectionLabels& labels_d =
              labels[static_cast<size_t>((frame - start) * camera_count + camera)].directions[d];
          append_rows(flow, labels_d.flow);
          append_rows(valid, labels_d.valid);
          if (with_static) append_rows(static_flow, labels_d.static_flow);
          if (with_dynamic) append_rows(dynamic, labels_d.dynamic);
        }
        const std::string group = "/" + options.pairs[d];
        h5::write_rows(out.file(), group + "/flow", frame, 1, flow.data());
        h5::write_rows(out.file(), group + "/valid", frame, 1, valid.data());
        if (with_static) h5::write_rows(out.file(), group + "/static_flow", frame, 1, static_flow.data());
        if (with_dynamic) h5::write_rows(out.file(), group + "/dynamic", frame, 1, dynamic.data());
      }
      if (with_movable) {
        std::vector<uint8_t> movable;
        for (int64_t camera = 0; camera < camera_count; ++camera) {
          append_rows(movable, labels[static_cast<size_t>((frame - start) * camera_count + camera)].movable);
        }
        h5::write_rows(out.file(), "/movable", frame, 1, movable.data());
      }
      progress.advance();
    }
    // 4. Forget pairs no later frame needs.
    for (auto it = cache.begin(); it != cache.end();) {
      it = it->first.second < end ? cache.erase(it) : std::next(it);
    }
  }
  progress.finish();
  out.commit();
  summary.seconds_per_flow = summary.flow_computations > 0 ? flow_seconds / summary.flow_computations : 0;
  summary.consistent_fraction =
      sums.considered > 0 ? static_cast<double>(sums.consistent) / sums.considered : 0;
  summary.dynamic_fraction = sums.considered > 0 ? static_cast<double>(sums.dynamic) / sums.considered : 0;
  summary.static_error = sums.all_static.result();
  summary.dynamic_error = sums.all_dynamic.result();
  summary.static_error_consistent = sums.valid_static.result();
  summary.dynamic_error_consistent = sums.valid_dynamic.result();
  return summary;
}

}  // namespace occ::labels
