#pragma once
// Read access to a frames file (schema occ.frames) for the stages after
// prep: per-frame, per-camera images and maps are read one row at a time,
// so memory does not grow with the number of frames.
#include <opencv2/core.hpp>

#include <array>
#include <string>
#include <vector>

#include "h5/file.h"

namespace occ {

using Matrix4 = std::array<double, 16>;  // row-major 4x4
using Matrix3 = std::array<double, 9>;   // row-major 3x3

class FramesFile {
 public:
  // Opens and validates; throws naming the file.
  explicit FramesFile(const std::string& path);

  const h5::File& file() const { return file_; }
  const std::string& path() const { return file_.path(); }
  const std::string& uuid() const { return uuid_; }
  int64_t frame_count() const { return frame_count_; }
  int64_t camera_count() const { return static_cast<int64_t>(camera_names_.size()); }
  const std::vector<std::string>& camera_names() const { return camera_names_; }
  const std::vector<std::string>& class_names() const { return class_names_; }
  int free_class() const { return free_class_; }

  bool has(const std::string& dataset) const { return file_.is_dataset(dataset); }

  // The occupancy grid: voxels along x, y, z; minimum corner and voxel size
  // in metres (ego frame).
  std::array<int64_t, 3> grid_shape() const { return grid_shape_; }
  std::array<double, 3> grid_origin() const { return grid_origin_; }
  std::array<double, 3> voxel_size() const { return voxel_size_; }
  // Class id per voxel, [x][y][z] C-order; requires /occupancy/semantics.
  std::vector<uint8_t> occupancy(int64_t frame) const;
  // 1 where a camera observes the voxel; requires /occupancy/mask_camera.
  std::vector<uint8_t> camera_mask(int64_t frame) const;
  // (vx, vy) m/s per voxel; requires /occupancy/flow.
  std::vector<float> occupancy_flow(int64_t frame) const;
  bool has_images() const { return has("/cameras/image") || has("/cameras/image_path"); }

  // Row links within a scene; -1 at the ends.
  int32_t prev(int64_t frame) const { return prev_.at(frame); }
  int32_t next(int64_t frame) const { return next_.at(frame); }
  const std::string& token(int64_t frame) const { return tokens_.at(frame); }

  // RGB, CV_8UC3, at the stored size (embedded) or the file's size (paths).
  // Throws IoError naming the image file when it is missing or undecodable.
  cv::Mat image(int64_t frame, int64_t camera) const;
  // Where an image stored by path lives: /cameras/image_path resolved against
  // the `dataroot` attribute, else the frames file's folder. Throws
  // FormatError when the file stores its images embedded (or has none).
  std::string image_file(int64_t frame, int64_t camera) const;
  // Reads an image file as RGB; IoError naming the file, the frame and the
  // camera when it is missing or OpenCV cannot decode it.
  cv::Mat read_image_file(const std::string& image_path, int64_t frame, int64_t camera) const;
  // CV_32F metres (z-depth); requires /cameras/depth.
  cv::Mat depth(int64_t frame, int64_t camera) const;
  // CV_8U class ids; requires /cameras/semantics.
  cv::Mat semantics(int64_t frame, int64_t camera) const;
  // CV_32S instance ids, -1 for stuff; requires /cameras/instance.
  cv::Mat instance(int64_t frame, int64_t camera) const;

  Matrix3 intrinsics(int64_t frame, int64_t camera) const;
  Matrix4 ego_from_camera(int64_t frame, int64_t camera) const;
  // The ego pose at this camera's capture time (per-camera poses where the
  // file has them, else the frame's pose).
  Matrix4 world_from_ego(int64_t frame, int64_t camera) const;

  // LiDAR points of a frame in the ego frame (x, y, z, intensity), or empty.
  std::vector<std::array<float, 4>> lidar_points(int64_t frame) const;

  struct Box {
    std::array<double, 3> center{};  // ego frame
    std::array<float, 3> size_wlh{};
    double yaw = 0;
    int class_id = 0;
    int instance = -1;
  };
  std::vector<Box> boxes(int64_t frame) const;

 private:
  cv::Mat camera_map(const std::string& dataset, int64_t frame, int64_t camera, int type) const;

  h5::File file_;
  std::string uuid_;
  std::string dataroot_;
  std::vector<std::string> image_paths_;  // /cameras/image_path, read once (small)
  int64_t frame_count_ = 0;
  std::vector<std::string> camera_names_;
  std::vector<std::string> class_names_;
  int free_class_ = 0;
  std::vector<int32_t> prev_, next_;
  std::vector<std::string> tokens_;
  std::array<int64_t, 3> grid_shape_{};
  std::array<double, 3> grid_origin_{}, voxel_size_{};
};

}  // namespace occ
