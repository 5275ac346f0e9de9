#pragma once
// The inner step of flow-labels: the labels of one keyframe and camera
// (validity, static flow, movable and dynamic masks, true-flow error) from
// the optical flow of the frame pairs on its way to the neighbour keyframes.
#include <opencv2/core.hpp>

#include <algorithm>
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
  double dynamic_threshold_px = 0;  // at `size`: options' threshold scaled to the working width
  bool through_sweeps = false;      // the file has sweeps and --direct was not given
  // [row][direction, in options.pairs order]: the rows from `row` to the
  // neighbour keyframe, both ends included; through sweeps every row between
  // them, else just the two. Empty where `row` gets no label in that
  // direction (a sweep row, or no keyframe that way in the scene).
  std::vector<std::vector<std::vector<int64_t>>> chains;

  cv::Mat image(int64_t frame, int64_t camera) const;  // RGB at `size`
  cv::Mat depth(int64_t frame, int64_t camera) const;  // CV_32F at `size`, 0 = unknown
};

// Both directions of the optical flow between frames a < b, per camera;
// for imported flow also where the files give values (empty: everywhere).
struct PairFlow {
  std::vector<cv::Mat> a_to_b, b_to_a;
  std::vector<cv::Mat> a_to_b_known, b_to_a_known;
};
using PairKey = std::pair<int64_t, int64_t>;
using PairCache = std::map<PairKey, PairFlow>;
inline PairKey pair_key(int64_t a, int64_t b) {
  return {std::min(a, b), std::max(a, b)};
}

// The neighbour of `frame` in direction "next" or "prev" by the file's
// links (sweeps included), -1 at scene ends.
int64_t neighbour(const FramesFile& frames, int64_t frame, const std::string& direction);

// The rows from keyframe `frame` to the next keyframe in `direction`,
// following the links through the sweeps (is_keyframe 0) between them; with
// `through_sweeps` false only the two ends. Empty when `frame` is a sweep or
// the scene has no keyframe that way. Throws FormatError naming the file
// when the links loop.
std::vector<int64_t> keyframe_chain(const FramesFile& frames, const std::vector<uint8_t>& is_keyframe,
                                    int64_t frame, const std::string& direction, bool through_sweeps);

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
  // Dynamic mask against the truly moving pixels (report): both, either, mask only, truth only.
  int64_t trackable = 0, trackable_consistent = 0;  // pixels with a visible true target (report)
  int64_t no_depth = 0;                             // pixels without depth (report; synthetic: sky)
  int64_t moving_both = 0, moving_either = 0, moving_mask = 0, moving_truth = 0;
  void merge(const FlowStats& other);
};

FrameCameraLabels label_frame_camera(const FlowSetup& setup, const PairCache& cache, int64_t frame,
                                     int64_t camera, FlowStats* stats);

}  // namespace occ::labels
