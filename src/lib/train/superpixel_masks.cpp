#include "train/superpixel_masks.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"
#include "h5/artifact.h"
#include "h5/dataset.h"
#include "train/image_transform.h"

namespace occ::train {
void resize_labels_nearest(const uint16_t* labels, int in_height, int in_width, int height, int width,
                           bool flip, int64_t* out) {
  const std::vector<int> rows = nearest_exact_sources(in_height, height);
  std::vector<int> columns = nearest_exact_sources(in_width, width);
  if (flip) std::reverse(columns.begin(), columns.end());
  for (int y = 0; y < height; ++y) {
    const uint16_t* source = labels + static_cast<size_t>(rows[static_cast<size_t>(y)]) * in_width;
    int64_t* target = out + static_cast<size_t>(y) * width;
    for (int x = 0; x < width; ++x) target[x] = source[columns[static_cast<size_t>(x)]];
  }
}

SuperpixelMasks::SuperpixelMasks(const std::string& masks_path, const FramesFile& frames)
    : file_(h5::open_artifact(masks_path, "masks")), cameras_(frames.camera_count()) {
  h5::require_made_from(file_, frames.file());
  // The schema fixes the rank; the rows and cameras must be the frames file's.
  const h5::Shape shape = h5::dataset_info(file_, "/masks/labels").shape;
  if (shape.at(0) != frames.frame_count() || shape.at(1) != cameras_) {
    throw FormatError(str(quoted(masks_path), ": /masks/labels holds ", shape.at(0), " frames x ",
                          shape.at(1), " cameras, but ", quoted(frames.path()), " has ", frames.frame_count(),
                          " frames x ", cameras_, " cameras"));
  }
  stored_height_ = static_cast<int>(shape.at(2));
  stored_width_ = static_cast<int>(shape.at(3));
}

at::Tensor SuperpixelMasks::read(int64_t row, int height, int width, const std::vector<bool>& flips) const {
  // One read per frame: the chunk holds the frame's maps of every camera.
  const auto labels = h5::read_rows<uint16_t>(file_, "/masks/labels", row, 1).values;
  at::Tensor masks = at::empty({cameras_, height, width}, at::kLong);
  const size_t camera_size = static_cast<size_t>(stored_height_) * static_cast<size_t>(stored_width_);
  for (int64_t camera = 0; camera < cameras_; ++camera) {
    const auto c = static_cast<size_t>(camera);
    resize_labels_nearest(labels.data() + c * camera_size, stored_height_, stored_width_, height, width,
                          flips.at(c), masks[camera].data_ptr<int64_t>());
  }
  return masks;
}

}  // namespace occ::train
