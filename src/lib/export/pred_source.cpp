#include "export/pred_source.h"

#include "core/error.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"

namespace occ::exporting {

PredSource::PredSource(const std::string& pred_path, const std::string& frames_path)
    : pred_(h5::open_artifact(pred_path, "pred")) {
  rows_ = h5::read<int32_t>(pred_, "/pred/frame").values;
  const auto shape = h5::read_int_list_attribute(pred_, "/", "grid_shape");
  for (size_t axis = 0; axis < 3; ++axis) grid_shape_[axis] = shape.at(axis);
  class_names_ = h5::read_string_list_attribute(pred_, "/", "class_names");
  free_class_ = static_cast<int>(h5::read_int_attribute(pred_, "/", "free_class"));
  if (frames_path.empty()) return;
  frames_ = std::make_unique<FramesFile>(frames_path);
  h5::require_made_from(pred_, frames_->file());
  for (const int32_t row : rows_) {
    if (row < 0 || row >= frames_->frame_count()) {
      throw FormatError(str("dataset '/pred/frame' in ", occ::quoted(pred_.path()), " names row ", row,
                            " but ", occ::quoted(frames_->path()), " has ", frames_->frame_count(),
                            " frames"));
    }
  }
}

PredSource::~PredSource() = default;

bool PredSource::has_flow() const {
  return pred_.is_dataset("/pred/flow");
}

const FramesFile& PredSource::frames(const std::string& format) const {
  if (!frames_) {
    throw UsageError(str("format ", occ::quoted(format),
                         " needs the frames file the predictions were made on "
                         "(sample tokens, grid geometry): give --gt FRAMES.h5"));
  }
  return *frames_;
}

const std::string& PredSource::token(int64_t i, const std::string& format) const {
  return frames(format).token(frames_row(i));
}

GridGeometry PredSource::geometry(const std::string& format) const {
  const FramesFile& gt = frames(format);
  GridGeometry geometry;
  const auto shape = h5::read_int_list_attribute(gt.file(), "/", "grid_shape");
  const auto origin = h5::read_float_list_attribute(gt.file(), "/", "grid_origin_m");
  const auto voxel = h5::read_float_list_attribute(gt.file(), "/", "voxel_size_m");
  if (shape.size() != 3 || origin.size() != 3 || voxel.size() != 3) {
    throw FormatError(
        str(occ::quoted(gt.path()), ": grid_shape, grid_origin_m and voxel_size_m need 3 values"));
  }
  for (size_t axis = 0; axis < 3; ++axis) {
    geometry.shape[axis] = shape[axis];
    geometry.origin_m[axis] = origin[axis];
    geometry.voxel_m[axis] = voxel[axis];
  }
  if (geometry.shape != grid_shape_) {
    throw FormatError(
        str("grid of ", occ::quoted(pred_.path()), " differs from the grid of ", occ::quoted(gt.path())));
  }
  return geometry;
}

std::vector<uint8_t> PredSource::semantics(int64_t i) const {
  return h5::read_rows<uint8_t>(pred_, "/pred/semantics", i, 1).values;
}

std::vector<Half> PredSource::flow(int64_t i) const {
  if (!has_flow()) throw FormatError(str(occ::quoted(pred_.path()), " has no dataset '/pred/flow'"));
  return h5::read_rows<Half>(pred_, "/pred/flow", i, 1).values;
}

}  // namespace occ::exporting
