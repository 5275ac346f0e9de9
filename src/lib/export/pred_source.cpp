#include "export/pred_source.h"

#include "core/error.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "datasets/grid_attributes.h"

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

geom::VoxelGrid PredSource::geometry(const std::string& format) const {
  const FramesFile& gt = frames(format);
  const geom::VoxelGrid geometry = read_grid_attributes(gt.file());
  if (geometry.shape != grid_shape()) {
    throw FormatError(
        str("grid of ", occ::quoted(path()), " differs from the grid of ", occ::quoted(gt.path())));
  }
  return geometry;
}

}  // namespace occ::exporting
