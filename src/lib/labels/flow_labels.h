#pragma once
// `occ flow-labels`: optical flow from every keyframe to the next and the
// previous keyframe of each camera (composed through the sweeps between them
// where the frames file has sweeps), its forward-backward consistency, the
// rigid (static) flow from depth and ego motion, and Let Occ Flow's dynamic
// mask; written as a flow artifact (data/schemas/flow.json).
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
  // |flow - static flow| above this on movable pixels = dynamic. Let Occ
  // Flow's 8 px is in pixels of its 704 px wide nuScenes renders
  // (letoccflow.md), so by default the threshold is given at
  // `threshold_width` and scaled to the working width; 0: used as is.
  double dynamic_threshold_px = 8.0;
  double threshold_width = 704.0;
  // Keyframe pairs by one flow computation each even where the frames file
  // has sweeps between them (default: composed through the sweeps).
  bool direct = false;
  // Optical flow from files another tool wrote instead of --method (see
  // labels/flow_import.h): DIR/<next|prev>/<frame token>/<camera>.{png,flo,npy}.
  std::string import_dir;
  std::string depth_source = "auto";  // auto, camera (/cameras/depth), lidar, none
  h5::Compression compression;
  bool report = false;  // accuracy against true flow (synthetic frames)

  void validate() const;
};

struct FlowLabelSummary {
  int64_t flow_computations = 0;
  double seconds_per_flow = 0;      // wall time of one optical-flow call, averaged
  double consistent_fraction = 0;   // forward-backward valid / pixels of frames that have a neighbour
  std::string depth_source;         // what static flow used: camera, lidar or none
  std::string movable_source;       // semantics, boxes or none
  double dynamic_fraction = 0;      // of pixels with a neighbour
  bool through_sweeps = false;      // keyframe pairs composed through sweeps
  int64_t labelled_rows = 0;        // keyframes (every row when the file has no sweeps)
  double mean_steps = 0;            // frame pairs per keyframe pair, averaged over labelled directions
  double dynamic_threshold_px = 0;  // the threshold at the working size
  bool has_report = false;
  FlowError static_error, dynamic_error;                        // all pixels with true flow
  FlowError static_error_consistent, dynamic_error_consistent;  // forward-backward valid ones only
  // The dynamic mask against the truly moving pixels (of objects whose box
  // moved, visible in both frames): intersection over union, precision, recall.
  double dynamic_iou = 0, dynamic_precision = 0, dynamic_recall = 0;
  int64_t moving_pixels = 0;
  // Forward-backward consistent share of the pixels whose true target is
  // inside the other image and not hidden there: the ones a label can have.
  double trackable_consistent_fraction = 0, trackable_fraction = 0;
  double no_depth_fraction = 0;  // pixels without depth (synthetic: sky), which have no true flow
};

FlowLabelSummary make_flow_labels(const FlowLabelOptions& options, const nlohmann::json& resolved_options);

}  // namespace occ::labels
