#include "datasets/pred_file.h"

#include <cstring>

#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/half.h"

namespace occ {

PredFile::PredFile(const std::string& path) : file_(h5::open_artifact(path, "pred")) {
  frames_ = h5::read<int32_t>(file_, "/pred/frame").values;
  class_names_ = h5::read_string_list_attribute(file_, "/", "class_names");
  free_class_ = static_cast<int>(h5::read_int_attribute(file_, "/", "free_class"));
  const auto shape = h5::read_int_list_attribute(file_, "/", "grid_shape");
  for (int axis = 0; axis < 3; ++axis) grid_shape_[axis] = shape.at(axis);
}

std::vector<uint8_t> PredFile::semantics(int64_t i) const {
  return h5::read_rows<uint8_t>(file_, "/pred/semantics", i, 1).values;
}

std::vector<float> PredFile::flow(int64_t i) const {
  const auto halves = h5::read_rows<Half>(file_, "/pred/flow", i, 1).values;
  std::vector<float> values(halves.size());
  for (size_t k = 0; k < halves.size(); ++k) values[k] = half_to_float(halves[k]);
  return values;
}

cv::Mat PredFile::depth(int64_t i, int64_t camera) const {
  const auto rows = h5::read_rows<float>(file_, "/pred/depth", i, 1);
  const int height = static_cast<int>(rows.shape[2]), width = static_cast<int>(rows.shape[3]);
  cv::Mat map(height, width, CV_32F);
  std::memcpy(map.data, rows.values.data() + static_cast<size_t>(camera) * map.total(),
              map.total() * sizeof(float));
  return map;
}

std::vector<cv::Mat> PredFile::prototypes(int64_t i) const {
  const auto rows = h5::read_rows<uint16_t>(file_, "/pred/prototypes", i, 1);
  const int height = static_cast<int>(rows.shape[2]), width = static_cast<int>(rows.shape[3]);
  std::vector<cv::Mat> maps;
  for (int64_t camera = 0; camera < rows.shape[1]; ++camera) {
    cv::Mat map(height, width, CV_16U);
    std::memcpy(map.data, rows.values.data() + static_cast<size_t>(camera) * map.total(),
                map.total() * sizeof(uint16_t));
    maps.push_back(map);
  }
  return maps;
}

std::array<int64_t, 2> PredFile::prototype_grid() const {
  if (!has("/pred/prototype_grid")) return {0, 0};
  const auto grid = h5::read<int32_t>(file_, "/pred/prototype_grid").values;
  return {grid.at(0), grid.at(1)};
}

}  // namespace occ
