#pragma once
// The inner step of flow-labels: the labels of one frame and camera
// (validity, static flow, movable and dynamic masks, true-flow error) from
// the optical flow of its frame pairs.
#include <opencv2/core.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "datasets/frames_file.h"
#include "labels/flow_labels.h"
#include "labels/optical_flow.h"

namespace occ::labels {

// What the frames file offers and the run uses, fixed before the loop.
struct FlowSetup {
  const FramesFile* frames = nullptr;
  const FlowLabelOptions* options = nullptr;
  cv::Size native;           // the size the file's intrinsics refer to
  cv::Size size;             // working and stored size
  std::string depth_source;  // camera, lidar or none
  bool with_static = false, with_movable = false, with_dynamic = false, movable_from_semantics = false;
  std::vector<bool> movable_ids;

  cv::Mat image(int64_t frame, int64_t camera) const;  // RGB at `size`
  cv::Mat depth(int64_t frame, int64_t camera) const;  // CV_32F at `size`, 0 = unknown
};

// Both directions of the optical flow between frames a < b, per camera.
struct PairFlow {
  std::vector<cv::Mat> a_to_b, b_to_a;
};
using PairKey = std::pair<int64_t, int64_t>;
using PairCache = std::map<PairKey, PairFlow>;

// The neighbour of `frame` in direction "next" or "prev", -1 at scene ends.
int64_t neighbour(const FramesFile& frames, int64_t frame, const std::string& direction);

struct DirectionLabels {
  cv::Mat flow, valid, static_flow, dynamic;
};
struct FrameCameraLabels {
  std::vector<DirectionLabels> directions;  // in options.pairs order
  cv::Mat movable;
};

// Counts that become the summary: consistency, dynamic share, flow errors.
struct FlowStats {
  FlowErrorSum all_static, all_dynamic, valid_static, valid_dynamic;
  int64_t consistent = 0, considered = 0, dynamic = 0;
  void merge(const FlowStats& other);
};

FrameCameraLabels label_frame_camera(const FlowSetup& setup, const PairCache& cache, int64_t frame,
                                     int64_t camera, FlowStats* stats);

}  // namespace occ::labels
