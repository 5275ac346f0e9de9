#pragma once
// A pred file (read by PredFile, the one pred reader) for export, with what
// the formats need from the frames file it was predicted on (--gt): sample
// tokens, grid geometry, poses and LiDAR origins.
#include <cstdint>
#include <memory>
#include <string>

#include "datasets/pred_file.h"
#include "geom/voxel_grid.h"

namespace occ {
class FramesFile;
}

namespace occ::exporting {

class PredSource : public PredFile {
 public:
  // Opens and validates the pred file and, when `frames_path` is not empty,
  // the frames file, checking that the pred was made from it.
  PredSource(const std::string& pred_path, const std::string& frames_path);
  ~PredSource();

  bool has_frames() const { return frames_ != nullptr; }
  // Throws UsageError naming `format` when no frames file was given.
  const FramesFile& frames(const std::string& format) const;

  // Sample token of prediction i; needs the frames file.
  const std::string& token(int64_t i, const std::string& format) const;
  // The frames file's grid geometry; its shape must equal the pred's.
  geom::VoxelGrid geometry(const std::string& format) const;

 private:
  std::unique_ptr<FramesFile> frames_;
};

}  // namespace occ::exporting
