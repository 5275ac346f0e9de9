#include "export/pred_source.h"

#include "core/error.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"

namespace occ::exporting {

PredSource::PredSource(const std::string& pred_path, const std::string& frames_path) : PredFile(pred_path) {
  if (frames_path.empty()) return;
  frames_ = std::make_unique<FramesFile>(frames_path);
  require_made_from(frames_->file(), frames_->frame_count());
}

PredSource::~PredSource() = default;

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
  if (geometry.shape != grid_shape()) {
    throw FormatError(
        str("grid of ", occ::quoted(path()), " differs from the grid of ", occ::quoted(gt.path())));
  }
  return geometry;
}

}  // namespace occ::exporting
