#pragma once
// Read access to a predictions file (schema occ.pred), one frame at a time.
#include <array>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "h5/file.h"

namespace occ {

class PredFile {
 public:
  explicit PredFile(const std::string& path);  // opens and validates

  const h5::File& file() const { return file_; }
  const std::string& path() const { return file_.path(); }
  int64_t frame_count() const { return static_cast<int64_t>(frames_.size()); }
  // Row of prediction i in the frames file it was made from.
  int32_t frames_row(int64_t i) const { return frames_.at(static_cast<size_t>(i)); }
  const std::vector<std::string>& class_names() const { return class_names_; }
  int free_class() const { return free_class_; }
  std::array<int64_t, 3> grid_shape() const { return grid_shape_; }

  bool has(const std::string& dataset) const { return file_.is_dataset(dataset); }
  std::vector<uint8_t> semantics(int64_t i) const;
  std::vector<float> flow(int64_t i) const;        // requires /pred/flow; m/s as float
  cv::Mat depth(int64_t i, int64_t camera) const;  // requires /pred/depth; CV_32F
  // Requires /pred/prototypes (occ predict --prototypes): per camera, the
  // ProtoOcc prototype id of each stride-8 feature cell, CV_16U [h, w].
  std::vector<cv::Mat> prototypes(int64_t i) const;
  // /pred/prototype_grid: rows and columns of the initial prototype grid
  // (M = their product); {0, 0} when the file lacks it.
  std::array<int64_t, 2> prototype_grid() const;

 private:
  h5::File file_;
  std::vector<int32_t> frames_;
  std::vector<std::string> class_names_;
  int free_class_ = 17;
  std::array<int64_t, 3> grid_shape_{};
};

}  // namespace occ
