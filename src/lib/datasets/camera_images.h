#pragma once
// How the readers of real datasets (occ prep nuscenes, kitti-mot,
// semantickitti) store camera images: as paths relative to the dataroot, or
// embedded as RGB resized to one size with the intrinsics scaled to match.
// One code path, so every reader resizes and scales the same way.
#include <array>
#include <string>

#include "datasets/frames_writer.h"

namespace occ::datasets {

struct ImageEmbedding {
  int height = 0;  // 0: images are stored as paths
  int width = 0;

  // `embed` false gives paths; else `size_text` ("HxW") is parsed. Throws
  // UsageError naming --image-size.
  static ImageEmbedding parse(bool embed, const std::string& size_text);
  bool embedded() const { return height > 0; }
  // Sets the layout's image fields (image_size or image_path).
  void describe(FramesLayout& layout) const;
};

// Parses "HEIGHTxWIDTH" (8x8 to 4096x4096); throws UsageError naming --image-size.
void parse_image_size(const std::string& text, int& height, int& width);

// Appends one camera's image to `record` (its path, or the RGB of
// `dataroot`/`relative_path` resized with area interpolation) and its
// intrinsics, scaled with the image: pixel coordinates scale with the image
// (mmdet3d's resize convention), so fx, skew and cx by width / file width,
// fy and cy by height / file height. Throws FormatError naming an
// undecodable image.
void add_camera_image(FrameRecord& record, const ImageEmbedding& embedding, const std::string& dataroot,
                      const std::string& relative_path, std::array<double, 9> intrinsics);

}  // namespace occ::datasets
