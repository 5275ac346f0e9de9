#include "labels/flow_frame_labels.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/strings.h"
#include "labels/camera_motion.h"
#include "labels/flow_composition.h"

namespace occ::labels {
namespace {

const cv::Scalar kNan = cv::Scalar::all(std::numeric_limits<float>::quiet_NaN());

cv::Mat resized(const cv::Mat& map, cv::Size size, int interpolation) {
  if (map.size() == size) return map;
  cv::Mat out;
  cv::resize(map, out, size, 0, 0, interpolation);
  return out;
}

void merge_sum(FlowErrorSum& total, const FlowErrorSum& part) {
  total.epe_sum += part.epe_sum;
  total.outliers += part.outliers;
  total.pixels += part.pixels;
}

cv::Mat movable_mask(const FlowSetup& setup, int64_t frame, int64_t camera) {
  const FramesFile& frames = *setup.frames;
  if (setup.movable_from_semantics) {
    const cv::Mat semantics = resized(frames.semantics(frame, camera), setup.size, cv::INTER_NEAREST);
    cv::Mat movable = cv::Mat::zeros(setup.size, CV_8U);
    for (int y = 0; y < semantics.rows; ++y) {
      for (int x = 0; x < semantics.cols; ++x) {
        const size_t id = semantics.at<uint8_t>(y, x);
        movable.at<uint8_t>(y, x) = id < setup.movable_ids.size() && setup.movable_ids[id];
      }
    }
    return movable;
  }
  const CameraView view = camera_view(frames, frame, camera, setup.native, setup.size);
  return movable_from_boxes(frames.boxes(frame), setup.movable_ids, frames.ego_from_camera(frame, camera),
                            view.intrinsics, setup.size);
}

// Object motions between two frames from boxes matched by instance id;
// `moving_ids` gets the instances whose box moved in the world.
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

// True flow from depth, ego motion and box motions; pixels whose target
// leaves the image or is hidden in the neighbour frame have none.
void add_true_flow_error(const FlowSetup& setup, int64_t frame, int64_t other, int64_t camera,
                         const CameraView& from, const CameraView& to, const cv::Mat& depth,
                         const DirectionLabels& labels, FlowStats* stats) {
  const FramesFile& frames = *setup.frames;
  const cv::Size size = setup.size;
  const cv::Mat instance = resized(frames.instance(frame, camera), size, cv::INTER_NEAREST);
  std::vector<int> moving_ids;
  const auto motions = object_motions(frames, frame, other, camera, &moving_ids);
  const ProjectedFlow truth = project_flow(depth, from, to, instance, motions);
  const cv::Mat depth_other = setup.depth(other, camera);
  cv::Mat is_static = cv::Mat::zeros(size, CV_8U), is_dynamic = cv::Mat::zeros(size, CV_8U);
  for (int y = 0; y < size.height; ++y) {
    for (int x = 0; x < size.width; ++x) {
      if (!truth.known.at<uint8_t>(y, x)) continue;
      const cv::Vec2f f = truth.flow.at<cv::Vec2f>(y, x);
      const int u = static_cast<int>(std::lround(x + f[0])), v = static_cast<int>(std::lround(y + f[1]));
      if (u < 0 || v < 0 || u >= size.width || v >= size.height) continue;
      const float z_target = truth.depth_at_target.at<float>(y, x);
      if (depth_other.at<float>(v, u) < z_target - std::max(0.5f, 0.05f * z_target)) continue;  // occluded
      const int id = instance.at<int>(y, x);
      const bool moving = id >= 0 && std::find(moving_ids.begin(), moving_ids.end(), id) != moving_ids.end();
      (moving ? is_dynamic : is_static).at<uint8_t>(y, x) = 1;
    }
  }
  if (setup.with_dynamic) {
    const cv::Mat both = labels.dynamic & is_dynamic, either = labels.dynamic | is_dynamic;
    stats->moving_both += cv::countNonZero(both);
    stats->moving_either += cv::countNonZero(either);
    stats->moving_mask += cv::countNonZero(labels.dynamic);
    stats->moving_truth += cv::countNonZero(is_dynamic);
  }
  const cv::Mat trackable = is_static | is_dynamic;
  stats->trackable += cv::countNonZero(trackable);
  stats->no_depth += cv::countNonZero(depth <= 0);  // synthetic camera depth: 0 is sky
  stats->trackable_consistent += cv::countNonZero(trackable & labels.valid);
  stats->all_static.add(labels.flow, truth.flow, is_static);
  stats->all_dynamic.add(labels.flow, truth.flow, is_dynamic);
  stats->valid_static.add(labels.flow, truth.flow, is_static & labels.valid);
  stats->valid_dynamic.add(labels.flow, truth.flow, is_dynamic & labels.valid);
}

}  // namespace

cv::Mat FlowSetup::image(int64_t frame, int64_t camera) const {
  return resized(frames->image(frame, camera), size, cv::INTER_AREA);
}

cv::Mat FlowSetup::depth(int64_t frame, int64_t camera) const {
  if (depth_source == "camera") return resized(frames->depth(frame, camera), size, cv::INTER_NEAREST);
  const CameraView view = camera_view(*frames, frame, camera, native, size);
  return lidar_depth(frames->lidar_points(frame), frames->ego_from_camera(frame, camera), view.intrinsics,
                     size);
}

int64_t neighbour(const FramesFile& frames, int64_t frame, const std::string& direction) {
  return direction == "next" ? frames.next(frame) : frames.prev(frame);
}

std::vector<int64_t> keyframe_chain(const FramesFile& frames, const std::vector<uint8_t>& is_keyframe,
                                    int64_t frame, const std::string& direction, bool through_sweeps) {
  if (!is_keyframe.at(static_cast<size_t>(frame))) return {};
  std::vector<int64_t> chain{frame};
  for (int64_t row = neighbour(frames, frame, direction); row >= 0; row = neighbour(frames, row, direction)) {
    if (static_cast<int64_t>(chain.size()) > frames.frame_count()) {
      throw FormatError(
          str(quoted(frames.path()), ": the /frames/", direction, " links loop from row ", frame));
    }
    chain.push_back(row);
    if (is_keyframe.at(static_cast<size_t>(row))) {
      if (!through_sweeps) return {frame, row};
      return chain;
    }
  }
  return {};  // the scene ends with sweeps after this keyframe (or with it)
}

void FlowStats::merge(const FlowStats& other) {
  merge_sum(all_static, other.all_static);
  merge_sum(all_dynamic, other.all_dynamic);
  merge_sum(valid_static, other.valid_static);
  merge_sum(valid_dynamic, other.valid_dynamic);
  moving_both += other.moving_both;
  moving_either += other.moving_either;
  moving_mask += other.moving_mask;
  moving_truth += other.moving_truth;
  trackable += other.trackable;
  no_depth += other.no_depth;
  trackable_consistent += other.trackable_consistent;
  consistent += other.consistent;
  considered += other.considered;
  dynamic += other.dynamic;
}

FrameCameraLabels label_frame_camera(const FlowSetup& setup, const PairCache& cache, int64_t frame,
                                     int64_t camera, FlowStats* stats) {
  const FramesFile& frames = *setup.frames;
  const FlowLabelOptions& options = *setup.options;
  const cv::Size size = setup.size;
  FrameCameraLabels result;
  if (setup.with_movable) result.movable = movable_mask(setup, frame, camera);
  const cv::Mat depth = setup.with_static ? setup.depth(frame, camera) : cv::Mat();
  for (size_t d = 0; d < options.pairs.size(); ++d) {
    DirectionLabels labels;
    const std::vector<int64_t>& chain = setup.chains.at(static_cast<size_t>(frame)).at(d);
    if (chain.empty()) {  // a sweep row or a scene end: nothing valid in this direction
      labels.flow = cv::Mat::zeros(size, CV_32FC2);
      labels.valid = cv::Mat::zeros(size, CV_8U);
      labels.static_flow = cv::Mat(size, CV_32FC2, kNan);
      labels.dynamic = cv::Mat::zeros(size, CV_8U);
      result.directions.push_back(labels);
      continue;
    }
    const int64_t other = chain.back();
    std::vector<cv::Mat> forward, backward, forward_known, backward_known;
    for (size_t k = 0; k + 1 < chain.size(); ++k) {
      const PairFlow& pair = cache.at(pair_key(chain[k], chain[k + 1]));
      const bool step_is_a_to_b = chain[k] < chain[k + 1];
      forward.push_back((step_is_a_to_b ? pair.a_to_b : pair.b_to_a)[camera]);
      backward.push_back((step_is_a_to_b ? pair.b_to_a : pair.a_to_b)[camera]);
      if (!pair.a_to_b_known.empty()) {
        forward_known.push_back((step_is_a_to_b ? pair.a_to_b_known : pair.b_to_a_known)[camera]);
        backward_known.push_back((step_is_a_to_b ? pair.b_to_a_known : pair.a_to_b_known)[camera]);
      }
    }
    ComposedFlow composed =
        compose_flows(forward, backward, options.fb_alpha, options.fb_beta, forward_known, backward_known);
    labels.flow = composed.flow;
    labels.valid = composed.valid;
    stats->consistent += cv::countNonZero(labels.valid);
    stats->considered += static_cast<int64_t>(labels.valid.total());
    const CameraView from = camera_view(frames, frame, camera, setup.native, size);
    const CameraView to = camera_view(frames, other, camera, setup.native, size);
    if (setup.with_static) {
      const ProjectedFlow rigid = project_flow(depth, from, to);
      labels.static_flow = rigid.flow.clone();
      labels.static_flow.setTo(kNan, rigid.known == 0);
      if (setup.with_dynamic) {
        // Let Occ Flow's dynamic ray: movable AND valid AND EPE(flow, static) > threshold.
        labels.dynamic = cv::Mat::zeros(size, CV_8U);
        for (int y = 0; y < size.height; ++y) {
          for (int x = 0; x < size.width; ++x) {
            if (!result.movable.at<uint8_t>(y, x) || !labels.valid.at<uint8_t>(y, x) ||
                !rigid.known.at<uint8_t>(y, x)) {
              continue;
            }
            const cv::Vec2f difference = labels.flow.at<cv::Vec2f>(y, x) - rigid.flow.at<cv::Vec2f>(y, x);
            labels.dynamic.at<uint8_t>(y, x) =
                std::hypot(difference[0], difference[1]) > setup.dynamic_threshold_px;
          }
        }
        stats->dynamic += cv::countNonZero(labels.dynamic);
      }
    }
    if (options.report) add_true_flow_error(setup, frame, other, camera, from, to, depth, labels, stats);
    result.directions.push_back(labels);
  }
  return result;
}

}  // namespace occ::labels
