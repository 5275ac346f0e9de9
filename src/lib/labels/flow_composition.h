#pragma once
// Flow over a chain of frames (a keyframe, the sweeps after it, the next
// keyframe) as the sum of the flows between consecutive frames, each looked
// up where the pixel has got to. Let Occ Flow tracks its nuScenes labels
// through the sweeps between keyframes the same way (CoTracker on the
// non-key frames, letoccflow.md "Pseudo labels"): at the 2 Hz keyframe rate
// the motion is too large for a direct match, at 10-12 Hz it is small.
#include <opencv2/core.hpp>

#include <vector>

namespace occ::labels {

struct ComposedFlow {
  cv::Mat flow;   // CV_32FC2: from the first frame of the chain to the last
  cv::Mat valid;  // CV_8U: 1 where every step stayed inside the image and passed its check
};

// `forward[i]` maps frame i to frame i+1, `backward[i]` frame i+1 to frame i
// (CV_32FC2, all one size). The position of pixel p after step i is
// q_{i+1} = q_i + f_i(q_i), q_0 = p, with f_i sampled bilinearly; the
// composed flow is q_n - p. p stays valid while each q_{i+1} lies inside the
// image and passes the forward-backward check of UnFlow (Meister et al.
// 2018) at q_i: |f_i(q_i) + b_i(q_{i+1})|^2 < alpha (|f_i|^2 + |b_i|^2) + beta.
// One step gives the flow itself and forward_backward_valid's map.
// `forward_known` / `backward_known` (CV_8U, one per step, or empty: all
// known) mark where imported flow has values; q_i must fall (nearest pixel)
// on a known forward value and q_{i+1} on a known backward value.
ComposedFlow compose_flows(const std::vector<cv::Mat>& forward, const std::vector<cv::Mat>& backward,
                           double alpha, double beta, const std::vector<cv::Mat>& forward_known = {},
                           const std::vector<cv::Mat>& backward_known = {});

}  // namespace occ::labels
