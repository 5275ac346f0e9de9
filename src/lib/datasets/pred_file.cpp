#include "datasets/pred_file.h"

#include "core/error.h"
#include "core/strings.h"
#include "h5/artifact.h"
#include "h5/attributes.h"

namespace occ {

PredFile::PredFile(const std::string& path) : file_(h5::open_artifact(path, "pred")) {
  frames_ = h5::read<int32_t>(file_, pred_dataset::kFrame).values;
  class_names_ = h5::read_string_list_attribute(file_, "/", "class_names");
  free_class_ = static_cast<int>(h5::read_int_attribute(file_, "/", "free_class"));
  const auto shape = h5::read_int_list_attribute(file_, "/", "grid_shape");
  for (size_t axis = 0; axis < 3; ++axis) grid_shape_[axis] = shape.at(axis);
}

void PredFile::require_made_from(const h5::File& frames, int64_t frame_count) const {
  h5::require_made_from(file_, frames);
  for (size_t i = 0; i < frames_.size(); ++i) {
    if (frames_[i] < 0 || frames_[i] >= frame_count) {
      throw FormatError(str("dataset '", pred_dataset::kFrame, "' of ", occ::quoted(path()), " row ", i,
                            " names frame ", frames_[i], ", but ", occ::quoted(frames.path()), " has ",
                            frame_count, " frames"));
    }
  }
}

void PredFile::require(const std::string& dataset) const {
  if (!has(dataset)) throw FormatError(str(occ::quoted(path()), " has no dataset '", dataset, "'"));
}

h5::Shape PredFile::shape(const std::string& dataset) const {
  require(dataset);
  return h5::dataset_info(file_, dataset).shape;
}

void PredFile::read_row(const std::string& dataset, int64_t i, h5::DType dtype, void* out) const {
  require(dataset);
  h5::read_rows_raw(file_, dataset, i, 1, dtype, out);
}

void PredFile::read_semantics(int64_t i, uint8_t* out) const {
  read_row(pred_dataset::kSemantics, i, h5::DType::uint8, out);
}

std::vector<float> PredFile::flow(int64_t i) const {
  std::vector<float> values(static_cast<size_t>(voxel_count() * 2));
  read_flow(i, values.data());
  return values;
}

void PredFile::read_flow(int64_t i, float* out) const {
  // Read as stored and widened here: every float16 is exactly a float.
  std::vector<Half> halves(static_cast<size_t>(voxel_count() * 2));
  read_row(pred_dataset::kFlow, i, h5::DType::float16, halves.data());
  for (size_t k = 0; k < halves.size(); ++k) out[k] = half_to_float(halves[k]);
}

void PredFile::read_depth(int64_t i, float* out) const {
  read_row(pred_dataset::kDepth, i, h5::DType::float32, out);
}

std::array<int64_t, 2> PredFile::prototype_grid() const {
  if (!has(pred_dataset::kPrototypeGrid)) return {0, 0};
  const auto grid = h5::read<int32_t>(file_, pred_dataset::kPrototypeGrid).values;
  return {grid.at(0), grid.at(1)};
}

bool PredFile::geometry_only() const {
  return h5::has_attribute(file_, "/", "geometry_only") &&
         h5::read_int_attribute(file_, "/", "geometry_only") == 1;
}

}  // namespace occ
