#include "labels/flow_labels.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>

#include "core/error.h"
#include "core/log.h"
#include "core/pixel_threshold.h"
#include "core/progress.h"
#include "core/strings.h"
#include "core/threads.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/half.h"
#include "labels/camera_motion.h"
#include "labels/flow_frame_labels.h"
#include "labels/flow_import.h"
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

std::string opposite(const std::string& direction) {
  return direction == "next" ? "prev" : "next";
}

// Decides what the file allows (depth, movable masks, report) and checks
// what the options ask for against it.
FlowSetup make_setup(const FramesFile& frames, const FlowLabelOptions& options) {
  const std::string& source = frames.path();
  if (!frames.has_images())
    throw FormatError(str(quoted(source), " has no camera images: flow-labels needs them"));
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
  setup.dynamic_threshold_px =
      threshold_at_width(options.dynamic_threshold_px, setup.size.width, options.threshold_width);
  // Only keyframes are labelled; a file without sweeps has nothing but
  // keyframes (KITTI's 10 Hz frames: consecutive frames are the pairs).
  const std::vector<uint8_t> is_keyframe = h5::read<uint8_t>(frames.file(), "/frames/is_keyframe").values;
  const bool has_sweeps = std::find(is_keyframe.begin(), is_keyframe.end(), 0) != is_keyframe.end();
  setup.through_sweeps = has_sweeps && !options.direct;
  bool any_pair = false;
  setup.chains.resize(static_cast<size_t>(frames.frame_count()));
  for (int64_t frame = 0; frame < frames.frame_count(); ++frame) {
    for (const auto& direction : options.pairs) {
      setup.chains[static_cast<size_t>(frame)].push_back(
          keyframe_chain(frames, is_keyframe, frame, direction, setup.through_sweeps));
      any_pair = any_pair || !setup.chains[static_cast<size_t>(frame)].back().empty();
    }
  }
  if (!any_pair) {
    throw FormatError(str(quoted(source), " has no ", has_sweeps ? "keyframe" : "frame", " with a ",
                          join(options.pairs, " or "), " ", has_sweeps ? "keyframe" : "frame",
                          " in the same scene: flow labels need consecutive frames"));
  }
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
  if (!(threshold_width >= 0))
    throw UsageError("--threshold-width must be 0 (no scaling) or a width in pixels");
  if (depth_source != "auto" && depth_source != "camera" && depth_source != "lidar" &&
      depth_source != "none") {
    throw UsageError(str("unknown --depth ", quoted(depth_source), ": use auto, camera, lidar or none"));
  }
}

FlowLabelSummary make_flow_labels(const FlowLabelOptions& options, const nlohmann::json& resolved_options) {
  options.validate();
  const FramesFile frames(options.frames_path);
  if (!options.import_dir.empty() && !std::filesystem::is_directory(options.import_dir))
    throw IoError(str("cannot open ", quoted(options.import_dir), " (--import): not a folder"));
  const FlowSetup setup = make_setup(frames, options);
  const int64_t frame_count = frames.frame_count();
  const int64_t camera_count = frames.camera_count();

  h5::OutputArtifact out(options.output_path, "flow", resolved_options);
  out.set_frames_uuid(frames.uuid());
  const nlohmann::json parameters = {{"fb_alpha", options.fb_alpha},
                                     {"fb_beta", options.fb_beta},
                                     {"dynamic_threshold_px", setup.dynamic_threshold_px},
                                     {"dynamic_threshold_at_width", options.threshold_width},
                                     {"keyframe_pairs", setup.through_sweeps ? "through sweeps" : "direct"},
                                     {"import", options.import_dir},
                                     {"depth_source", setup.depth_source},
                                     {"movable_source", setup.movable_from_semantics ? "semantics"
                                                        : setup.with_movable         ? "boxes"
                                                                                     : "none"}};
  h5::write_attribute(out.file(), "/", "method", options.import_dir.empty() ? options.method : "import");
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
  summary.through_sweeps = setup.through_sweeps;
  summary.dynamic_threshold_px = setup.dynamic_threshold_px;

  // Rows that get labels, and for each frame pair the last batch that needs
  // it, so that a pair shared by a keyframe's next chain and the following
  // keyframe's prev chain is computed once and dropped when done.
  std::vector<int64_t> labelled;
  int64_t steps = 0, chains = 0;
  for (int64_t frame = 0; frame < frame_count; ++frame) {
    bool any = false;
    for (const auto& chain : setup.chains[static_cast<size_t>(frame)]) {
      if (chain.empty()) continue;
      any = true;
      steps += static_cast<int64_t>(chain.size()) - 1;
      ++chains;
    }
    if (any) labelled.push_back(frame);
  }
  summary.labelled_rows = static_cast<int64_t>(labelled.size());
  summary.mean_steps = chains > 0 ? static_cast<double>(steps) / static_cast<double>(chains) : 0;
  const int64_t batch = std::max<int64_t>(2, 2 * thread_budget());
  const int64_t batches = (summary.labelled_rows + batch - 1) / batch;
  std::map<PairKey, int64_t> last_batch;
  // The direction ("next" or "prev") from key.first to key.second: which
  // imported file holds which way of a pair.
  std::map<PairKey, std::string> first_to_second;
  std::vector<std::vector<PairKey>> batch_pairs(static_cast<size_t>(batches));
  for (int64_t k = 0; k < summary.labelled_rows; ++k) {
    const auto& chains_of_row = setup.chains[static_cast<size_t>(labelled[static_cast<size_t>(k)])];
    for (size_t d = 0; d < chains_of_row.size(); ++d) {
      const std::vector<int64_t>& chain = chains_of_row[d];
      const std::string& direction = options.pairs[d];
      for (size_t step = 0; step + 1 < chain.size(); ++step) {
        const PairKey key = pair_key(chain[step], chain[step + 1]);
        first_to_second[key] = chain[step] == key.first ? direction : opposite(direction);
        auto& pairs = batch_pairs[static_cast<size_t>(k / batch)];
        if (std::find(pairs.begin(), pairs.end(), key) == pairs.end()) pairs.push_back(key);
        last_batch[key] = k / batch;
      }
    }
  }

  // Imported flow: every file is looked for before any is read, so that a
  // missing one is reported first and in row order.
  std::map<PairKey, std::array<std::vector<std::string>, 2>>
      import_files;  // [first->second, second->first][camera]
  if (!options.import_dir.empty()) {
    for (const auto& [key, direction] : first_to_second) {
      auto& files = import_files[key];
      for (int64_t camera = 0; camera < camera_count; ++camera) {
        const std::string& name = frames.camera_names()[static_cast<size_t>(camera)];
        files[0].push_back(find_flow_file(options.import_dir, direction, frames.token(key.first), name));
        files[1].push_back(
            find_flow_file(options.import_dir, opposite(direction), frames.token(key.second), name));
      }
    }
  }

  // Rows without labels (sweeps, keyframes with no neighbour keyframe):
  // nothing valid. Written in row order between the labelled rows, so that
  // no chunk is written twice.
  FrameCameraLabels empty;
  for (size_t d = 0; d < options.pairs.size(); ++d) {
    empty.directions.push_back({cv::Mat::zeros(setup.size, CV_32FC2), cv::Mat::zeros(setup.size, CV_8U),
                                cv::Mat(setup.size, CV_32FC2, cv::Scalar::all(std::nan(""))),
                                cv::Mat::zeros(setup.size, CV_8U)});
  }
  empty.movable = cv::Mat::zeros(setup.size, CV_8U);
  const std::vector<FrameCameraLabels> empty_cameras(static_cast<size_t>(camera_count), empty);
  int64_t next_unwritten = 0;
  auto write_empty_rows_before = [&](int64_t row) {
    for (; next_unwritten < row; ++next_unwritten)
      write_frame(out.file(), setup, next_unwritten, empty_cameras.data(), camera_count);
    next_unwritten = std::max(next_unwritten, row + 1);
  };

  PairCache cache;
  std::mutex mutex;
  double flow_seconds = 0;
  FlowStats stats;
  Progress progress(setup.through_sweeps ? "flow-labels keyframes" : "flow-labels frames",
                    summary.labelled_rows);
  // Batches of labelled rows: their missing pairs' flow in parallel, then
  // their labels in parallel, then written in order.
  OpenCvThreadsForOuterLoop single_threaded_opencv;
  for (int64_t batch_index = 0; batch_index < batches; ++batch_index) {
    const int64_t start = batch_index * batch, end = std::min(summary.labelled_rows, start + batch);
    std::vector<PairKey> missing;
    for (const PairKey& key : batch_pairs[static_cast<size_t>(batch_index)]) {
      if (cache.count(key)) continue;
      missing.push_back(key);
      cache[key] = PairFlow{std::vector<cv::Mat>(camera_count), std::vector<cv::Mat>(camera_count), {}, {}};
    }
    parallel_for(static_cast<int64_t>(missing.size()) * camera_count, [&](int64_t item) {
      const PairKey key = missing[static_cast<size_t>(item / camera_count)];
      const int64_t camera = item % camera_count;
      const auto begin = std::chrono::steady_clock::now();
      cv::Mat a_to_b, b_to_a, a_to_b_known, b_to_a_known;
      if (options.import_dir.empty()) {
        const cv::Mat a = setup.image(key.first, camera), b = setup.image(key.second, camera);
        a_to_b = optical_flow(a, b, options.method);
        b_to_a = optical_flow(b, a, options.method);
      } else {
        const auto& files = import_files.at(key);
        const std::string& forward_path = files[0][static_cast<size_t>(camera)];
        const std::string& backward_path = files[1][static_cast<size_t>(camera)];
        const ImportedFlow forward =
            fit_flow(read_flow_file(forward_path), setup.native, setup.size, forward_path);
        const ImportedFlow backward =
            fit_flow(read_flow_file(backward_path), setup.native, setup.size, backward_path);
        a_to_b = forward.flow;
        a_to_b_known = forward.known;
        b_to_a = backward.flow;
        b_to_a_known = backward.known;
      }
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
      std::lock_guard<std::mutex> lock(mutex);
      PairFlow& pair = cache[key];
      pair.a_to_b[camera] = a_to_b;
      pair.b_to_a[camera] = b_to_a;
      if (!a_to_b_known.empty()) {
        pair.a_to_b_known.resize(static_cast<size_t>(camera_count));
        pair.b_to_a_known.resize(static_cast<size_t>(camera_count));
        pair.a_to_b_known[camera] = a_to_b_known;
        pair.b_to_a_known[camera] = b_to_a_known;
      }
      flow_seconds += seconds;
      summary.flow_computations += 2;
    });
    std::vector<FrameCameraLabels> labels(static_cast<size_t>((end - start) * camera_count));
    parallel_for((end - start) * camera_count, [&](int64_t item) {
      FlowStats local;
      const int64_t frame = labelled[static_cast<size_t>(start + item / camera_count)];
      labels[static_cast<size_t>(item)] =
          label_frame_camera(setup, cache, frame, item % camera_count, &local);
      std::lock_guard<std::mutex> lock(mutex);
      stats.merge(local);
    });
    for (int64_t k = start; k < end; ++k) {
      write_empty_rows_before(labelled[static_cast<size_t>(k)]);
      write_frame(out.file(), setup, labelled[static_cast<size_t>(k)],
                  &labels[static_cast<size_t>((k - start) * camera_count)], camera_count);
      progress.advance();
    }
    for (auto it = cache.begin(); it != cache.end();)
      it = last_batch.at(it->first) <= batch_index ? cache.erase(it) : std::next(it);
  }
  write_empty_rows_before(frame_count);
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
  auto ratio = [](int64_t part, int64_t whole) {
    return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
  };
  summary.dynamic_iou = ratio(stats.moving_both, stats.moving_either);
  summary.dynamic_precision = ratio(stats.moving_both, stats.moving_mask);
  summary.dynamic_recall = ratio(stats.moving_both, stats.moving_truth);
  summary.moving_pixels = stats.moving_truth;
  summary.trackable_consistent_fraction = ratio(stats.trackable_consistent, stats.trackable);
  summary.trackable_fraction = ratio(stats.trackable, stats.considered);
  summary.no_depth_fraction = ratio(stats.no_depth, stats.considered);
  return summary;
}

}  // namespace occ::labels
