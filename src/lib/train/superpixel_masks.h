#pragma once
// The loader's view of a masks file (occ cluster-masks, schema occ.masks):
// one frame's superpixel maps at a time, resized and flipped exactly like
// the images they belong to, for ProtoOcc's prototype optimisation.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/frames_file.h"
#include "h5/file.h"

namespace occ::train {

class SuperpixelMasks {
 public:
  // Opens and validates the masks file; FormatError naming both files when it
  // was made from another frames file, naming the masks file when it lacks
  // rows or cameras of `frames`.
  SuperpixelMasks(const std::string& masks_path, const FramesFile& frames);

  // Segment ids of every camera of a frame, [C, height, width] int64, resized
  // (nearest) from the stored size and mirrored left-right where flips[c].
  at::Tensor read(int64_t row, int height, int width, const std::vector<bool>& flips) const;

 private:
  h5::File file_;
  int64_t cameras_ = 0;
  int stored_height_ = 0, stored_width_ = 0;
};

// Nearest-neighbour resize of a label map with pixel centres aligned (source
// index floor((i + 0.5) * in / out), PyTorch's "nearest-exact"), so labels
// are never blended and a map resized to its own size is unchanged; then an
// optional left-right mirror (column x takes column width-1-x), the same
// order as resize_image then flip_image. Writes height * width ids to `out`.
void resize_labels_nearest(const uint16_t* labels, int in_height, int in_width, int height, int width,
                           bool flip, int64_t* out);

}  // namespace occ::train
