#pragma once
// Reading a pred file (schema occ.pred) one frame at a time for export, with
// what the formats need from the frames file it was predicted on (--gt):
// sample tokens, grid geometry, poses and LiDAR origins.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "h5/file.h"
#include "h5/half.h"

namespace occ {
class FramesFile;
}

namespace occ::exporting {

struct GridGeometry {
  std::array<int64_t, 3> shape{};    // voxels along x, y, z
  std::array<double, 3> origin_m{};  // minimum corner, ego frame
  std::array<double, 3> voxel_m{};   // edge lengths
};

class PredSource {
 public:
  // Opens and validates the pred file and, when `frames_path` is not empty,
  // the frames file, checking that the pred was made from it.
  PredSource(const std::string& pred_path, const std::string& frames_path);
  ~PredSource();

  const std::string& path() const { return pred_.path(); }
  int64_t frame_count() const { return static_cast<int64_t>(rows_.size()); }
  const std::array<int64_t, 3>& grid_shape() const { return grid_shape_; }
  int64_t voxel_count() const { return grid_shape_[0] * grid_shape_[1] * grid_shape_[2]; }
  const std::vector<std::string>& class_names() const { return class_names_; }
  int free_class() const { return free_class_; }
  bool has_flow() const;
  bool has_frames() const { return frames_ != nullptr; }
  // Throws UsageError naming `format` when no frames file was given.
  const FramesFile& frames(const std::string& format) const;

  // Row of prediction i in the frames file.
  int32_t frames_row(int64_t i) const { return rows_.at(static_cast<size_t>(i)); }
  // Sample token of prediction i; needs the frames file.
  const std::string& token(int64_t i, const std::string& format) const;
  // The frames file's grid geometry; its shape must equal the pred's.
  GridGeometry geometry(const std::string& format) const;

  // [X, Y, Z] class ids, C order.
  std::vector<uint8_t> semantics(int64_t i) const;
  // [X, Y, Z, 2] m/s; requires has_flow().
  std::vector<Half> flow(int64_t i) const;

 private:
  h5::File pred_;
  std::unique_ptr<FramesFile> frames_;
  std::vector<int32_t> rows_;
  std::array<int64_t, 3> grid_shape_{};
  std::vector<std::string> class_names_;
  int free_class_ = 0;
};

}  // namespace occ::exporting
