#include "datasets/camera_images.h"

#include <stdexcept>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/sensor_files.h"

namespace occ::datasets {

void parse_image_size(const std::string& text, int& height, int& width) {
  const size_t x = text.find('x');
  try {
    size_t used_h = 0, used_w = 0;
    if (x == std::string::npos) throw std::invalid_argument("no x");
    height = std::stoi(text.substr(0, x), &used_h);
    width = std::stoi(text.substr(x + 1), &used_w);
    if (used_h != x || used_w != text.size() - x - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw UsageError(str("--image-size ", occ::quoted(text), " is not HEIGHTxWIDTH, e.g. 256x704"));
  }
  if (height < 8 || width < 8 || height > 4096 || width > 4096) {
    throw UsageError(str("--image-size ", occ::quoted(text), " is outside 8x8 to 4096x4096"));
  }
}

ImageEmbedding ImageEmbedding::parse(bool embed, const std::string& size_text) {
  ImageEmbedding embedding;
  if (embed) parse_image_size(size_text, embedding.height, embedding.width);
  return embedding;
}

void ImageEmbedding::describe(FramesLayout& layout) const {
  layout.image_height = height;
  layout.image_width = width;
  layout.image_paths = !embedded();
}

void add_camera_image(FrameRecord& record, const ImageEmbedding& embedding, const std::string& dataroot,
                      const std::string& relative_path, std::array<double, 9> intrinsics) {
  if (!embedding.embedded()) {
    record.image_paths.push_back(relative_path);
  } else {
    double sx = 1, sy = 1;
    const auto rgb =
        read_resized_rgb(dataroot + "/" + relative_path, embedding.height, embedding.width, sx, sy);
    record.images.insert(record.images.end(), rgb.begin(), rgb.end());
    for (size_t c = 0; c < 3; ++c) intrinsics[c] *= sx, intrinsics[3 + c] *= sy;
  }
  record.intrinsics.push_back(intrinsics);
}

}  // namespace occ::datasets
