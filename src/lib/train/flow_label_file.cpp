#include "train/flow_label_file.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "core/error.h"
#include "core/strings.h"
#include "h5/artifact.h"
#include "h5/dataset.h"
#include "h5/half.h"
#include "train/image_transform.h"

namespace occ::train {
namespace {

// Output pixel -> stored pixel index, for one camera's resize and flip.
struct PixelMap {
  std::vector<int> rows, columns;
  float scale_x = 1, scale_y = 1;  // flow (dx, dy) in output pixels per stored pixel
  bool flip = false;
};

PixelMap pixel_map(int in_height, int in_width, int height, int width, bool flip) {
  PixelMap map;
  map.rows = nearest_exact_sources(in_height, height);
  map.columns = nearest_exact_sources(in_width, width);
  // Mirrored: output column x takes column width-1-x of the resized map, the
  // order of resize_image then flip_image.
  if (flip) std::reverse(map.columns.begin(), map.columns.end());
  map.scale_x = static_cast<float>(width) / static_cast<float>(in_width);
  map.scale_y = static_cast<float>(height) / static_cast<float>(in_height);
  map.flip = flip;
  return map;
}

// A [N, H, W, 2] float16 row to [N, 2, h, w] float32 through the maps.
void fill_flow(const std::vector<Half>& stored, int in_height, int in_width,
               const std::vector<PixelMap>& maps, float* out) {
  const size_t camera_size = static_cast<size_t>(in_height) * static_cast<size_t>(in_width) * 2;
  for (size_t c = 0; c < maps.size(); ++c) {
    const PixelMap& map = maps[c];
    const size_t plane = map.rows.size() * map.columns.size();
    float* dx = out + c * 2 * plane;
    float* dy = dx + plane;
    const float sign = map.flip ? -1.0f : 1.0f;
    for (size_t y = 0; y < map.rows.size(); ++y) {
      for (size_t x = 0; x < map.columns.size(); ++x) {
        const size_t source =
            c * camera_size + (static_cast<size_t>(map.rows[y]) * static_cast<size_t>(in_width) +
                               static_cast<size_t>(map.columns[x])) *
                                  2;
        dx[y * map.columns.size() + x] = sign * map.scale_x * half_to_float(stored[source]);
        dy[y * map.columns.size() + x] = map.scale_y * half_to_float(stored[source + 1]);
      }
    }
  }
}

// A [N, H, W] uint8 row to [N, h, w] bool through the maps.
void fill_mask(const std::vector<uint8_t>& stored, int in_height, int in_width,
               const std::vector<PixelMap>& maps, bool* out) {
  const size_t camera_size = static_cast<size_t>(in_height) * static_cast<size_t>(in_width);
  for (size_t c = 0; c < maps.size(); ++c) {
    const PixelMap& map = maps[c];
    bool* target = out + c * map.rows.size() * map.columns.size();
    for (size_t y = 0; y < map.rows.size(); ++y) {
      const uint8_t* source = stored.data() + c * camera_size + static_cast<size_t>(map.rows[y]) * in_width;
      for (size_t x = 0; x < map.columns.size(); ++x)
        target[y * map.columns.size() + x] = source[map.columns[x]] != 0;
    }
  }
}

}  // namespace

FlowLabelFile::FlowLabelFile(const std::string& path, const FramesFile& frames)
    : file_(h5::open_artifact(path, "flow")), path_(path), cameras_(frames.camera_count()) {
  h5::require_made_from(file_, frames.file());
  for (const char* needed : {"/next/flow", "/next/valid", "/prev/flow", "/prev/valid"}) {
    if (!file_.is_dataset(needed))
      throw FormatError(str(quoted(path), " has no ", quoted(needed), " (occ flow-labels writes it)"));
  }
  const h5::Shape shape = h5::dataset_info(file_, "/next/flow").shape;
  if (shape.at(0) != frames.frame_count() || shape.at(1) != cameras_) {
    throw FormatError(str(quoted(path), ": /next/flow holds ", shape.at(0), " frames x ", shape.at(1),
                          " cameras, but ", quoted(frames.path()), " has ", frames.frame_count(),
                          " frames x ", cameras_, " cameras"));
  }
  stored_height_ = static_cast<int>(shape.at(2));
  stored_width_ = static_cast<int>(shape.at(3));
  for (const char* other : {"/prev/flow", "/next/valid", "/prev/valid"}) {
    const h5::Shape other_shape = h5::dataset_info(file_, other).shape;
    if (!std::equal(shape.begin(), shape.begin() + 4, other_shape.begin()))
      throw FormatError(
          str(quoted(path), ": ", other, " does not have the frames, cameras and size of /next/flow"));
  }
  has_static_ = file_.is_dataset("/next/static_flow") && file_.is_dataset("/prev/static_flow");
  has_dynamic_ = file_.is_dataset("/next/dynamic") && file_.is_dataset("/prev/dynamic");
  has_movable_ = file_.is_dataset("/movable");
}

FlowLabels FlowLabelFile::read(int64_t row, int height, int width, const std::vector<bool>& flips) const {
  std::vector<PixelMap> maps;
  for (int64_t camera = 0; camera < cameras_; ++camera)
    maps.push_back(
        pixel_map(stored_height_, stored_width_, height, width, flips.at(static_cast<size_t>(camera))));
  FlowLabels labels;
  const int64_t n = cameras_;
  labels.flow = at::empty({2, n, 2, height, width}, at::kFloat);
  labels.flow_valid = at::empty({2, n, height, width}, at::kBool);
  if (has_static_) labels.static_flow = at::empty({2, n, 2, height, width}, at::kFloat);
  if (has_dynamic_) labels.dynamic = at::empty({2, n, height, width}, at::kBool);
  const char* directions[2] = {"/next", "/prev"};
  for (int64_t d = 0; d < 2; ++d) {
    const std::string group = directions[d];
    fill_flow(h5::read_rows<Half>(file_, group + "/flow", row, 1).values, stored_height_, stored_width_, maps,
              labels.flow[d].data_ptr<float>());
    fill_mask(h5::read_rows<uint8_t>(file_, group + "/valid", row, 1).values, stored_height_, stored_width_,
              maps, labels.flow_valid[d].data_ptr<bool>());
    if (has_static_)
      fill_flow(h5::read_rows<Half>(file_, group + "/static_flow", row, 1).values, stored_height_,
                stored_width_, maps, labels.static_flow[d].data_ptr<float>());
    if (has_dynamic_)
      fill_mask(h5::read_rows<uint8_t>(file_, group + "/dynamic", row, 1).values, stored_height_,
                stored_width_, maps, labels.dynamic[d].data_ptr<bool>());
  }
  if (has_movable_) {
    labels.movable = at::empty({n, height, width}, at::kBool);
    fill_mask(h5::read_rows<uint8_t>(file_, "/movable", row, 1).values, stored_height_, stored_width_, maps,
              labels.movable.data_ptr<bool>());
  }
  return labels;
}

}  // namespace occ::train
