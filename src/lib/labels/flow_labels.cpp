#include "labels/flow_labels.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/strings.h"
#include "core/threads.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/half.h"
#include "labels/camera_motion.h"
#include "labels/flow_frame_labels.h"
#include "labels/opencv_threads.h"

namespace occ::labels {
namespace {

void append_rows(std::vector<Half>& out, const cv::Mat& map) {
  const float* values = map.ptr<float>();
  for (size_t i = 0; i < map.total() * map.channels(); ++i) out.push_back(float_to_half(values[i]));
}

void append_rows(std::vector<uint8_t>& out, const cv::Mat& map) {
  out.insert(out.end(), map.ptr<uint8_t>(), map.ptr<uint8_t>() + map.total());
}

// Decides what the file allows (depth, movable masks, report) and checks
// what the options ask for against it.
FlowSetup make_setup(const FramesFile& frames, const FlowLabelOptions& options) {
  const std::string& source = frames.path();
  if (!frames.has_images())
    throw FormatError(str(quoted(source), " has no camera images: flow-labels needs them"));
  bool any_pair = false;
  for (int64_t frame = 0; frame < frames.frame_count() && !any_pair; ++frame) {
    for (const auto& direction : options.pairs)
      any_pair = any_pair || neighbour(frames, frame, direction) >= 0;
  }
  if (!any_pair) {
    throw FormatError(str(quoted(source), " has no frame with a ", join(options.pairs, " or "),
                          " frame in the same scene: flow labels need consecutive frames"));
  }
  FlowSetup setup;
  setup.frames = &frames;
  setup.options = &options;
  const bool has_camera_depth = frames.has("/cameras/depth");
  const bool has_lidar = frames.has("/lidar/points") && frames.has("/lidar/offsets");
  setup.depth_source = options.depth_source;
  if (setup.depth_source == "auto")
    setup.depth_source = has_camera_depth ? "camera" : has_lidar ? "lidar" : "none";
  if (setup.depth_source == "camera" && !has_camera_depth) {
    throw FormatError(str(quoted(source), " has no '/cameras/depth' (asked for by --depth camera)"));
  }
  if (setup.depth_source == "lidar" && !has_lidar) {
    throw FormatError(str(quoted(source), " has no '/lidar/points' (asked for by --depth lidar)"));
  }
  setup.movable_from_semantics = frames.has("/cameras/semantics");
  setup.with_static = setup.depth_source != "none";
  setup.with_movable = setup.movable_from_semantics || frames.has("/boxes/offsets");
  setup.with_dynamic = setup.with_static && setup.with_movable;
  if (!setup.with_dynamic) {
    log::warn(
        "no ",
        setup.with_static ? "movable-object source (semantics or boxes)" : "depth (camera depth or LiDAR)",
        " in ", quoted(source), ": the dynamic mask is not written");
  }
  if (options.report &&
      !(has_camera_depth && frames.has("/cameras/instance") && frames.has("/boxes/offsets"))) {
    throw FormatError(
        str(quoted(source),
            " lacks '/cameras/depth', '/cameras/instance' or '/boxes': --report needs the ground "
            "truth of synthetic frames"));
  }
  setup.movable_ids = movable_classes(frames.class_names());
  setup.native = frames.image(0, 0).size();
  setup.size = options.size.empty() ? setup.native : options.size;
  return setup;
}

void create_datasets(h5::File& file, const FlowSetup& setup, int64_t frames, int64_t cameras,
                     const h5::DatasetOptions& options) {
  const h5::Shape map_shape{frames, cameras, setup.size.height, setup.size.width};
  const h5::Shape flow_shape{frames, cameras, setup.size.height, setup.size.width, 2};
  for (const auto& direction : setup.options->pairs) {
    h5::create_dataset(file, "/" + direction + "/flow", h5::DType::float16, flow_shape, options);
    h5::create_dataset(file, "/" + direction + "/valid", h5::DType::uint8, map_shape, options);
    if (setup.with_static) {
      h5::create_dataset(file, "/" + direction + "/static_flow", h5::DType::float16, flow_shape, options);
    }
    if (setup.with_dynamic)
      h5::create_dataset(file, "/" + direction + "/dynamic", h5::DType::uint8, map_shape, options);
  }
  if (setup.with_movable) h5::create_dataset(file, "/movable", h5::DType::uint8, map_shape, options);
}

void write_frame(h5::File& file, const FlowSetup& setup, int64_t frame, const FrameCameraLabels* cameras,
                 int64_t camera_count) {
  const auto& pairs = setup.options->pairs;
  for (size_t d = 0; d < pairs.size(); ++d) {
    std::vector<Half> flow, static_flow;
    std::vector<uint8_t> valid, dynamic;
    for (int64_t camera = 0; camera < camera_count; ++camera) {
      const DirectionLabels& labels = cameras[camera].directions[d];
      append_rows(flow, labels.flow);
      append_rows(valid, labels.valid);
      if (setup.with_static) append_rows(static_flow, labels.static_flow);
      if (setup.with_dynamic) append_rows(dynamic, labels.dynamic);
    }
    const std::string group = "/" + pairs[d];
    h5::write_rows(file, group + "/flow", frame, 1, flow.data());
    h5::write_rows(file, group + "/valid", frame, 1, valid.data());
    if (setup.with_static) h5::write_rows(file, group + "/static_flow", frame, 1, static_flow.data());
    if (setup.with_dynamic) h5::write_rows(file, group + "/dynamic", frame, 1, dynamic.data());
  }
  if (setup.with_movable) {
    std::vector<uint8_t> movable;
    for (int64_t camera = 0; camera < camera_count; ++camera) append_rows(movable, cameras[camera].movable);
    h5::write_rows(file, "/movable", frame, 1, movable.data());
  }
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
  const FlowSetup setup = make_setup(frames, options);
  const int64_t frame_count = frames.frame_count();
  const int64_t camera_count = frames.camera_count();

  h5::OutputArtifact out(options.output_path, "flow", resolved_options);
  out.set_frames_uuid(frames.uuid());
  const nlohmann::json parameters = {{"fb_alpha", options.fb_alpha},
                                     {"fb_beta", options.fb_beta},
                                     {"dynamic_threshold_px", options.dynamic_threshold_px},
                                     {"depth_source", setup.depth_source},
                                     {"movable_source", setup.movable_from_semantics ? "semantics"
                                                        : setup.with_movable         ? "boxes"
                                                                                     : "none"}};
  h5::write_attribute(out.file(), "/", "method", options.method);
  h5::write_attribute(out.file(), "/", "parameters", parameters.dump());
  h5::write_attribute(out.file(), "/", "image_size",
                      std::vector<int64_t>{setup.size.height, setup.size.width});
  h5::write_attribute(out.file(), "/", "pairs", options.pairs);
  h5::DatasetOptions dataset_options;
  dataset_options.compression = options.compression;
  create_datasets(out.file(), setup, frame_count, camera_count, dataset_options);

  FlowLabelSummary summary;
  summary.depth_source = setup.depth_source;
  summary.movable_source = parameters["movable_source"];
  summary.has_report = options.report;
  PairCache cache;
  std::mutex mutex;
  double flow_seconds = 0;
  FlowStats stats;
  Progress progress("flow-labels frames", frame_count);
  // Batches of frames: their missing pairs' flow in parallel, then their
  // labels in parallel, then written in order. Pairs a later frame still
  // needs stay cached, so each unordered pair is computed once.
  const int64_t batch = std::max<int64_t>(2, 2 * thread_budget());
  OpenCvThreadsForOuterLoop single_threaded_opencv;
  for (int64_t start = 0; start < frame_count; start += batch) {
    const int64_t end = std::min(frame_count, start + batch);
    std::vector<PairKey> missing;
    for (int64_t frame = start; frame < end; ++frame) {
      for (const auto& direction : options.pairs) {
        const int64_t other = neighbour(frames, frame, direction);
        const PairKey key{std::min(frame, other), std::max(frame, other)};
        if (other >= 0 && !cache.count(key) &&
            std::find(missing.begin(), missing.end(), key) == missing.end()) {
          missing.push_back(key);
          cache[key] = PairFlow{std::vector<cv::Mat>(camera_count), std::vector<cv::Mat>(camera_count)};
        }
      }
    }
    parallel_for(static_cast<int64_t>(missing.size()) * camera_count, [&](int64_t item) {
      const PairKey key = missing[static_cast<size_t>(item / camera_count)];
      const int64_t camera = item % camera_count;
      const cv::Mat a = setup.image(key.first, camera), b = setup.image(key.second, camera);
      const auto begin = std::chrono::steady_clock::now();
      cv::Mat a_to_b = optical_flow(a, b, options.method);
      cv::Mat b_to_a = optical_flow(b, a, options.method);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
      std::lock_guard<std::mutex> lock(mutex);
      PairFlow& pair = cache[key];
      pair.a_to_b[camera] = a_to_b;
      pair.b_to_a[camera] = b_to_a;
      flow_seconds += seconds;
      summary.flow_computations += 2;
    });
    std::vector<FrameCameraLabels> labels(static_cast<size_t>((end - start) * camera_count));
    parallel_for((end - start) * camera_count, [&](int64_t item) {
      FlowStats local;
      labels[static_cast<size_t>(item)] =
          label_frame_camera(setup, cache, start + item / camera_count, item % camera_count, &local);
      std::lock_guard<std::mutex> lock(mutex);
      stats.merge(local);
    });
    for (int64_t frame = start; frame < end; ++frame) {
      write_frame(out.file(), setup, frame, &labels[static_cast<size_t>((frame - start) * camera_count)],
                  camera_count);
      progress.advance();
    }
    for (auto it = cache.begin(); it != cache.end();)
      it = it->first.second < end ? cache.erase(it) : std::next(it);
  }
  progress.finish();
  out.commit();
  summary.seconds_per_flow = summary.flow_computations > 0 ? flow_seconds / summary.flow_computations : 0;
  summary.consistent_fraction =
      stats.considered > 0 ? static_cast<double>(stats.consistent) / static_cast<double>(stats.considered)
                           : 0;
  summary.dynamic_fraction =
      stats.considered > 0 ? static_cast<double>(stats.dynamic) / static_cast<double>(stats.considered) : 0;
  summary.static_error = stats.all_static.result();
  summary.dynamic_error = stats.all_dynamic.result();
  summary.static_error_consistent = stats.valid_static.result();
  summary.dynamic_error_consistent = stats.valid_dynamic.result();
  return summary;
}

}  // namespace occ::labels
