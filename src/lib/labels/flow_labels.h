#pragma once
// `occ flow-labels`: optical flow to the next and previous frame of every
// camera, its forward-backward consistency, the rigid (static) flow from
// depth and ego motion, and Let Occ Flow's dynamic mask; written as a flow
// artifact (data/schemas/flow.json).
#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "h5/dataset.h"
#include "labels/optical_flow.h"

namespace occ::labels {

struct FlowLabelOptions {
  std::string frames_path;
  std::string output_path;
  std::string method = "dis";
  std::vector<std::string> pairs = {"next", "prev"};
  cv::Size size;           // working and stored size; empty: the image size
  double fb_alpha = 0.01;  // forward-backward check (letoccflow.md: alpha 0.01, beta 0.5)
  double fb_beta = 0.5;
  double dynamic_threshold_px = 8.0;  // |flow - static flow| above this on movable pixels = dynamic
  std::string depth_source = "auto";  // auto, camera (/cameras/depth), lidar, none
  h5::Compression compression;
  bool report = false;  // accuracy against true flow (synthetic frames)

  void validate() const;
};

struct FlowLabelSummary {
  int64_t flow_computations = 0;
  double seconds_per_flow = 0;     // wall time of one optical-flow call, averaged
  double consistent_fraction = 0;  // forward-backward valid / pixels of frames that have a neighbour
  std::string depth_source;        // what static flow used: camera, lidar or none
  std::string movable_source;      // semantics, boxes or none
  double dynamic_fraction = 0;     // of pixels with a neighbour
  bool has_report = false;
  FlowError static_error, dynamic_error;                        // all pixels with true flow
  FlowError static_error_consistent, dynamic_error_consistent;  // forward-backward valid ones only
};

FlowLabelSummary make_flow_labels(const FlowLabelOptions& options, const nlohmann::json& resolved_options);

}  // namespace occ::labels
