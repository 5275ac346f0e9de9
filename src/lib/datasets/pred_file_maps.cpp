// PredFile's per-camera maps as OpenCV matrices (render, export), apart
// from pred_file.cpp so that a program reading only voxels (occ eval in the
// executable) does not link OpenCV (docs/startup.md).
#include <cstring>

#include "datasets/pred_file.h"

namespace occ {

cv::Mat PredFile::depth(int64_t i, int64_t camera) const {
  require(pred_dataset::kDepth);
  const auto rows = h5::read_rows<float>(file_, pred_dataset::kDepth, i, 1);
  const int height = static_cast<int>(rows.shape[2]), width = static_cast<int>(rows.shape[3]);
  cv::Mat map(height, width, CV_32F);
  std::memcpy(map.data, rows.values.data() + static_cast<size_t>(camera) * map.total(),
              map.total() * sizeof(float));
  return map;
}

cv::Mat PredFile::rendered_flow(int64_t i, int64_t camera) const {
  require(pred_dataset::kRenderedFlow);
  const auto rows = h5::read_rows<float>(file_, pred_dataset::kRenderedFlow, i, 1);
  const int height = static_cast<int>(rows.shape[2]), width = static_cast<int>(rows.shape[3]);
  cv::Mat map(height, width, CV_32FC2);
  std::memcpy(map.data, rows.values.data() + static_cast<size_t>(camera) * map.total() * 2,
              map.total() * 2 * sizeof(float));
  return map;
}

std::vector<cv::Mat> PredFile::prototypes(int64_t i) const {
  require(pred_dataset::kPrototypes);
  const auto rows = h5::read_rows<uint16_t>(file_, pred_dataset::kPrototypes, i, 1);
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

}  // namespace occ
