#pragma once
// `occ cluster-masks`: superpixel pseudo masks for every frame and camera of
// a frames file, written as a masks artifact (data/schemas/masks.json).
#include <opencv2/core.hpp>

#include <string>

#include "h5/dataset.h"
#include "labels/mask_quality.h"
#include "labels/superpixels.h"

namespace occ::labels {

struct ClusterMaskOptions {
  std::string frames_path;
  std::string output_path;
  SuperpixelOptions superpixels;
  int match_prototypes = 0;  // > 0: count = prototype_count(image size, r), overriding superpixels.count
  cv::Size size;             // stored mask size; empty: the image size
  h5::Compression compression;
  bool report = false;  // boundary recall / ASA against GT segments
  // Label maps another tool wrote (Segment Anything, ...) instead of
  // superpixels: DIR/<frame token>/<camera>.png, one id per pixel.
  std::string import_dir;

  void validate() const;
};

struct ClusterMaskSummary {
  int64_t maps = 0;
  double mean_count = 0;
  int target_count = 0;
  bool has_quality = false;
  MaskQuality quality;
};

ClusterMaskSummary make_cluster_masks(const ClusterMaskOptions& options,
                                      const nlohmann::json& resolved_options);

// "96x176" -> (176, 96); throws UsageError.
cv::Size parse_size(const std::string& text, const std::string& option);

}  // namespace occ::labels
