#pragma once
// The one reader of prediction files (schema occ.pred, data/schemas/pred.json),
// one frame at a time: occ eval, occ render and occ export read through it.
// A new dataset of the schema is a name in pred_dataset, a has_ test and a
// reader of one line over row<T>() or read_row().
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "h5/dataset.h"
#include "h5/file.h"
#include "h5/half.h"

namespace occ {

// Dataset names of data/schemas/pred.json, for the writer (occ predict) and
// the reader alike.
namespace pred_dataset {
inline constexpr const char* kFrame = "/pred/frame";
inline constexpr const char* kSemantics = "/pred/semantics";
inline constexpr const char* kProbabilities = "/pred/probabilities";
inline constexpr const char* kFlow = "/pred/flow";
inline constexpr const char* kDepth = "/pred/depth";
inline constexpr const char* kRenderedFlow = "/pred/rendered_flow";
inline constexpr const char* kSdf = "/pred/sdf";
inline constexpr const char* kOccupancyProbability = "/pred/occupancy_probability";
inline constexpr const char* kPrototypes = "/pred/prototypes";
inline constexpr const char* kPrototypeGrid = "/pred/prototype_grid";
}  // namespace pred_dataset

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
  const std::array<int64_t, 3>& grid_shape() const { return grid_shape_; }
  int64_t voxel_count() const { return grid_shape_[0] * grid_shape_[1] * grid_shape_[2]; }

  // Throws FormatError unless the file was predicted on `frames` (uuid) and
  // every /pred/frame row is one of its `frame_count` rows.
  void require_made_from(const h5::File& frames, int64_t frame_count) const;

  bool has(const std::string& dataset) const { return file_.is_dataset(dataset); }
  bool has_probabilities() const { return has(pred_dataset::kProbabilities); }
  bool has_flow() const { return has(pred_dataset::kFlow); }
  bool has_depth() const { return has(pred_dataset::kDepth); }
  bool has_rendered_flow() const { return has(pred_dataset::kRenderedFlow); }
  bool has_prototypes() const { return has(pred_dataset::kPrototypes); }
  bool has_sdf() const { return has(pred_dataset::kSdf); }
  bool has_occupancy_probability() const { return has(pred_dataset::kOccupancyProbability); }
  // The attribute geometry_only: semantics mean occupied (class 0, 1 if 0 is free) or free only.
  bool geometry_only() const;
  // Shape of a dataset, row count first.
  h5::Shape shape(const std::string& dataset) const;

  // Row i of `dataset` as stored; FormatError naming the file when the
  // dataset is absent.
  template <typename T>
  std::vector<T> row(const std::string& dataset, int64_t i) const {
    require(dataset);
    return h5::read_rows<T>(file_, dataset, i, 1).values;
  }
  // The same into a caller buffer of one row's elements, converted to `dtype`.
  void read_row(const std::string& dataset, int64_t i, h5::DType dtype, void* out) const;

  // [X, Y, Z] class ids, C order.
  std::vector<uint8_t> semantics(int64_t i) const { return row<uint8_t>(pred_dataset::kSemantics, i); }
  void read_semantics(int64_t i, uint8_t* out) const;
  // [X, Y, Z, K] class probabilities, as stored.
  std::vector<Half> probabilities(int64_t i) const { return row<Half>(pred_dataset::kProbabilities, i); }
  // [X, Y, Z, 2] m/s: as stored (float16), or as float.
  std::vector<Half> flow_half(int64_t i) const { return row<Half>(pred_dataset::kFlow, i); }
  std::vector<float> flow(int64_t i) const;
  void read_flow(int64_t i, float* out) const;  // voxel_count() * 2 values
  // [X, Y, Z] signed distance at voxel centres, metres.
  std::vector<float> sdf(int64_t i) const { return row<float>(pred_dataset::kSdf, i); }
  // [X, Y, Z] occupancy probability, as stored.
  std::vector<Half> occupancy_probability(int64_t i) const {
    return row<Half>(pred_dataset::kOccupancyProbability, i);
  }
  // [C, H, W] metres per camera (Let Occ Flow's rendered depth).
  void read_depth(int64_t i, float* out) const;
  cv::Mat depth(int64_t i, int64_t camera) const;  // CV_32F [H, W]
  // Let Occ Flow's rendered BEV flow per camera pixel (occ predict
  // --rendered-flow): metres along ego x, y to the next keyframe, CV_32FC2 [H, W].
  cv::Mat rendered_flow(int64_t i, int64_t camera) const;
  // Per camera, the ProtoOcc prototype id of each stride-8 feature cell
  // (occ predict --prototypes), CV_16U [h, w].
  std::vector<cv::Mat> prototypes(int64_t i) const;
  // /pred/prototype_grid: rows and columns of the initial prototype grid
  // (M = their product); {0, 0} when the file lacks it.
  std::array<int64_t, 2> prototype_grid() const;

 private:
  void require(const std::string& dataset) const;

  h5::File file_;
  std::vector<int32_t> frames_;
  std::vector<std::string> class_names_;
  int free_class_ = 17;
  std::array<int64_t, 3> grid_shape_{};
};

}  // namespace occ
