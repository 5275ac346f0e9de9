#pragma once
// The loader's view of a flow-label file (occ flow-labels, schema occ.flow):
// one frame's optical flow to its next and previous keyframes, validity,
// rigid (static) flow, dynamic and movable masks, at the pixels of the
// network input: resized nearest with pixel centres aligned (flow is never
// blended across an object edge, and a label map at its own size is
// unchanged) with (dx, dy) scaled by the resize, then mirrored left-right
// with dx negated where a camera is flipped (as its image).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/frames_file.h"
#include "h5/file.h"

namespace occ::train {

struct FlowLabels {
  at::Tensor flow;         // [2, N, 2, H, W] float32 pixels: index 0 to the next keyframe, 1 to the previous
  at::Tensor flow_valid;   // [2, N, H, W] bool
  at::Tensor static_flow;  // [2, N, 2, H, W] float32, or undefined when the file has none
  at::Tensor dynamic;      // [2, N, H, W] bool, or undefined
  at::Tensor movable;      // [N, H, W] bool, or undefined
};

class FlowLabelFile {
 public:
  // Opens and validates the file: FormatError naming both files when it was
  // made from another frames file, naming the flow file when it lacks the
  // flow or validity of either direction or covers other rows or cameras.
  FlowLabelFile(const std::string& path, const FramesFile& frames);

  FlowLabels read(int64_t row, int height, int width, const std::vector<bool>& flips) const;

 private:
  h5::File file_;
  std::string path_;
  int64_t cameras_ = 0;
  int stored_height_ = 0, stored_width_ = 0;
  bool has_static_ = false, has_dynamic_ = false, has_movable_ = false;
};

}  // namespace occ::train
