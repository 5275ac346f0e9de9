#include "labels/cluster_masks.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/strings.h"
#include "core/threads.h"
#include "datasets/frames_file.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "labels/flow_import.h"
#include "labels/opencv_threads.h"

namespace occ::labels {
namespace {

// Ground-truth segments for the quality report: each object instance is one
// segment, every other pixel is segmented by its class.
cv::Mat gt_segments(const FramesFile& frames, int64_t frame, int64_t camera, cv::Size size) {
  cv::Mat semantics = frames.semantics(frame, camera);
  cv::Mat segments;
  semantics.convertTo(segments, CV_32S);
  if (frames.has("/cameras/instance")) {
    const cv::Mat instance = frames.instance(frame, camera);
    for (int y = 0; y < segments.rows; ++y) {
      const int* ids = instance.ptr<int>(y);
      int* out = segments.ptr<int>(y);
      for (int x = 0; x < segments.cols; ++x) {
        if (ids[x] >= 0) out[x] = 1000 + ids[x];
      }
    }
  }
  if (segments.size() != size) cv::resize(segments, segments, size, 0, 0, cv::INTER_NEAREST);
  return segments;
}

// An imported label map as segment ids 0..count-1 (ascending by the file's
// ids), at `size`: as is, or resized by nearest from the image size.
cv::Mat compact_labels(const std::string& path, cv::Size native, cv::Size size, int* count) {
  cv::Mat ids = read_label_png(path);
  if (ids.size() != size) {
    if (ids.size() != native) {
      throw FormatError(str(quoted(path), " is ", ids.rows, "x", ids.cols, ", expected ", native.height, "x",
                            native.width, " (the frames' images)",
                            native == size ? "" : str(" or ", size.height, "x", size.width, " (--size)")));
    }
    cv::resize(ids, ids, size, 0, 0, cv::INTER_NEAREST);
  }
  std::vector<int> values(ids.ptr<int>(), ids.ptr<int>() + ids.total());
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  cv::Mat labels(size, CV_16U);
  for (int y = 0; y < size.height; ++y) {
    const int* in = ids.ptr<int>(y);
    uint16_t* out = labels.ptr<uint16_t>(y);
    for (int x = 0; x < size.width; ++x)
      out[x] = static_cast<uint16_t>(std::lower_bound(values.begin(), values.end(), in[x]) - values.begin());
  }
  *count = static_cast<int>(values.size());
  return labels;
}

struct MaskResult {
  cv::Mat labels;  // CV_16U
  int count = 0;
  cv::Mat segments;
};

}  // namespace

cv::Size parse_size(const std::string& text, const std::string& option) {
  const size_t x = text.find('x');
  try {
    size_t used_h = 0, used_w = 0;
    const int height = std::stoi(text.substr(0, x), &used_h);
    const int width = std::stoi(text.substr(x + 1), &used_w);
    if (x == std::string::npos || used_h != x || used_w != text.size() - x - 1 || height < 8 || width < 8 ||
        height > 8192 || width > 8192) {
      throw std::invalid_argument("range");
    }
    return {width, height};
  } catch (const std::exception&) {
    throw UsageError(str(option, " must be HxW with 8 to 8192 pixels each, got ", quoted(text)));
  }
}

void ClusterMaskOptions::validate() const {
  if (frames_path.empty()) throw UsageError("a frames file is required");
  if (output_path.empty()) throw UsageError("-o/--output is required");
  if (import_dir.empty()) superpixels.validate();
  if (!import_dir.empty() && match_prototypes > 0)
    throw UsageError("--match-prototypes sets the superpixel count; imported masks have their own");
  if (match_prototypes < 0 || match_prototypes > 64) {
    throw UsageError(str("--match-prototypes must be a ratio from 1 to 64, got ", match_prototypes));
  }
}

ClusterMaskSummary make_cluster_masks(const ClusterMaskOptions& options,
                                      const nlohmann::json& resolved_options) {
  options.validate();
  const FramesFile frames(options.frames_path);
  if (!frames.has_images()) {
    throw FormatError(str(quoted(frames.path()), " has no camera images: cluster-masks segments images"));
  }
  const int64_t frame_count = frames.frame_count();
  const int64_t camera_count = frames.camera_count();
  if (frame_count == 0 || camera_count == 0)
    throw FormatError(str(quoted(frames.path()), " has no frames or cameras"));
  const cv::Mat first = frames.image(0, 0);
  const cv::Size size = options.size.empty() ? first.size() : options.size;
  SuperpixelOptions superpixels = options.superpixels;
  if (options.match_prototypes > 0) {
    // The network sees the file's images; prototypes live on its stride-8 grid.
    superpixels.count = prototype_count(first.rows, first.cols, options.match_prototypes);
    log::verbose("--match-prototypes ", options.match_prototypes, ": ", superpixels.count, " segments for ",
                 first.rows, "x", first.cols, " images");
  }
  const bool report = options.report;
  if (report && !frames.has("/cameras/semantics")) {
    throw FormatError(
        str(quoted(frames.path()), " has no '/cameras/semantics': --report needs ground-truth segments"));
  }

  // Imported masks: keyframes need a file each (sweep rows get none: count
  // 0), looked for before anything is written so that a missing one is
  // named first, in row order.
  const bool imported = !options.import_dir.empty();
  if (imported && !std::filesystem::is_directory(options.import_dir))
    throw IoError(str("cannot open ", quoted(options.import_dir), " (--import): not a folder"));
  std::vector<std::string> import_files;
  if (imported) {
    const auto is_keyframe = h5::read<uint8_t>(frames.file(), "/frames/is_keyframe").values;
    for (int64_t frame = 0; frame < frame_count; ++frame) {
      for (int64_t camera = 0; camera < camera_count; ++camera) {
        import_files.push_back(is_keyframe[static_cast<size_t>(frame)]
                                   ? find_label_file(options.import_dir, frames.token(frame),
                                                     frames.camera_names()[static_cast<size_t>(camera)])
                                   : std::string());
      }
    }
  }

  h5::OutputArtifact out(options.output_path, "masks", resolved_options);
  out.set_frames_uuid(frames.uuid());
  h5::write_attribute(out.file(), "/", "method", imported ? std::string("import") : superpixels.method);
  h5::write_attribute(
      out.file(), "/", "parameters",
      imported ? nlohmann::json{{"import", options.import_dir}}.dump() : superpixels.to_json().dump());
  h5::write_attribute(out.file(), "/", "image_size", std::vector<int64_t>{size.height, size.width});
  h5::DatasetOptions dataset_options;
  dataset_options.compression = options.compression;
  h5::create_dataset(out.file(), "/masks/labels", h5::DType::uint16,
                     {frame_count, camera_count, size.height, size.width}, dataset_options);
  h5::create_dataset(out.file(), "/masks/count", h5::DType::int32, {frame_count, camera_count},
                     dataset_options);

  ClusterMaskSummary summary;
  summary.target_count = superpixels.count;
  MaskQualitySum quality;
  int64_t count_sum = 0;
  Progress progress("cluster-masks frames", frame_count);
  // Frames in batches: the batch is segmented in parallel, then written in
  // order by this thread (HDF5 writes are serial anyway).
  const int64_t batch = std::max<int64_t>(1, thread_budget());
  std::vector<MaskResult> results;
  for (int64_t start = 0; start < frame_count; start += batch) {
    const int64_t frames_in_batch = std::min(batch, frame_count - start);
    results.assign(static_cast<size_t>(frames_in_batch * camera_count), MaskResult());
    {
      OpenCvThreadsForOuterLoop single_threaded_opencv;
      parallel_for(frames_in_batch * camera_count, [&](int64_t item) {
        const int64_t frame = start + item / camera_count;
        const int64_t camera = item % camera_count;
        MaskResult& result = results[static_cast<size_t>(item)];
        if (imported) {
          const std::string& path = import_files[static_cast<size_t>(frame * camera_count + camera)];
          if (path.empty()) {
            result.labels = cv::Mat::zeros(size, CV_16U);
            result.count = 0;
          } else {
            result.labels = compact_labels(path, first.size(), size, &result.count);
          }
          if (report) result.segments = gt_segments(frames, frame, camera, size);
          return;
        }
        cv::Mat image = frames.image(frame, camera);
        if (image.size() != size) cv::resize(image, image, size, 0, 0, cv::INTER_AREA);
        const Superpixels segmented = segment_superpixels(image, superpixels);
        segmented.labels.convertTo(result.labels, CV_16U);
        result.count = segmented.count;
        if (report) result.segments = gt_segments(frames, frame, camera, size);
      });
    }
    std::vector<uint16_t> labels;
    std::vector<int32_t> counts;
    for (int64_t f = 0; f < frames_in_batch; ++f) {
      labels.clear();
      counts.clear();
      for (int64_t camera = 0; camera < camera_count; ++camera) {
        const MaskResult& result = results[static_cast<size_t>(f * camera_count + camera)];
        labels.insert(labels.end(), result.labels.ptr<uint16_t>(),
                      result.labels.ptr<uint16_t>() + result.labels.total());
        counts.push_back(result.count);
        count_sum += result.count;
        if (report && result.count > 0) {
          cv::Mat ids;
          result.labels.convertTo(ids, CV_32S);
          quality.add(ids, result.segments);
        }
      }
      h5::write_rows(out.file(), "/masks/labels", start + f, 1, labels.data());
      h5::write_rows(out.file(), "/masks/count", start + f, 1, counts.data());
      progress.advance();
    }
  }
  progress.finish();
  out.commit();
  summary.maps =
      imported ? static_cast<int64_t>(std::count_if(import_files.begin(), import_files.end(),
                                                    [](const std::string& path) { return !path.empty(); }))
               : frame_count * camera_count;
  summary.mean_count =
      static_cast<double>(count_sum) / static_cast<double>(std::max<int64_t>(1, summary.maps));
  summary.has_quality = report;
  if (report) summary.quality = quality.result();
  return summary;
}

}  // namespace occ::labels
