#include "datasets/frames_file.h"

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/grid_attributes.h"
#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"

namespace occ {
namespace {

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

template <typename T, size_t N>
std::array<T, N> read_matrix(const h5::File& file, const std::string& dataset, int64_t frame,
                             int64_t camera) {
  const auto rows = h5::read_rows<T>(file, dataset, frame, 1);
  const size_t offset = static_cast<size_t>(camera) * N;
  std::array<T, N> matrix{};
  std::copy(rows.values.begin() + static_cast<std::ptrdiff_t>(offset),
            rows.values.begin() + static_cast<std::ptrdiff_t>(offset + N), matrix.begin());
  return matrix;
}

}  // namespace

FramesFile::FramesFile(const std::string& path) : file_(h5::open_artifact(path, "frames")) {
  uuid_ = h5::read_string_attribute(file_, "/", "uuid");
  camera_names_ = h5::read_string_list_attribute(file_, "/", "camera_names");
  class_names_ = h5::read_string_list_attribute(file_, "/", "class_names");
  free_class_ = static_cast<int>(h5::read_int_attribute(file_, "/", "free_class"));
  dataroot_ = h5::has_attribute(file_, "/", "dataroot") ? h5::read_string_attribute(file_, "/", "dataroot")
                                                        : folder_of(path);
  if (file_.is_dataset("/cameras/image_path")) image_paths_ = h5::read_strings(file_, "/cameras/image_path");
  prev_ = h5::read<int32_t>(file_, "/frames/prev").values;
  next_ = h5::read<int32_t>(file_, "/frames/next").values;
  tokens_ = h5::read_strings(file_, "/frames/token");
  frame_count_ = static_cast<int64_t>(prev_.size());
  const geom::VoxelGrid grid = read_grid_attributes(file_);
  grid_shape_ = grid.shape;
  grid_origin_ = grid.origin_m;
  voxel_size_ = grid.voxel_size_m;
}

std::vector<uint8_t> FramesFile::occupancy(int64_t frame) const {
  return h5::read_rows<uint8_t>(file_, "/occupancy/semantics", frame, 1).values;
}

std::vector<uint8_t> FramesFile::camera_mask(int64_t frame) const {
  return h5::read_rows<uint8_t>(file_, "/occupancy/mask_camera", frame, 1).values;
}

std::vector<float> FramesFile::occupancy_flow(int64_t frame) const {
  return h5::read_rows<float>(file_, "/occupancy/flow", frame, 1).values;
}

cv::Mat FramesFile::camera_map(const std::string& dataset, int64_t frame, int64_t camera, int type) const {
  if (!has(dataset)) throw FormatError(str(quoted(path()), " has no ", quoted(dataset)));
  const h5::DatasetInfo info = h5::dataset_info(file_, dataset);
  const int height = static_cast<int>(info.shape[2]);
  const int width = static_cast<int>(info.shape[3]);
  cv::Mat map(height, width, type);
  const size_t camera_bytes = map.total() * map.elemSize();
  // One frame row holds every camera; read it and keep this camera's plane.
  std::vector<uint8_t> row(camera_bytes * static_cast<size_t>(camera_count()));
  h5::read_rows_raw(file_, dataset, frame, 1, info.dtype, row.data());
  std::memcpy(map.data, row.data() + camera_bytes * static_cast<size_t>(camera), camera_bytes);
  return map;
}

cv::Mat FramesFile::image(int64_t frame, int64_t camera) const {
  if (has("/cameras/image")) return camera_map("/cameras/image", frame, camera, CV_8UC3);
  return read_image_file(image_file(frame, camera), frame, camera);
}

std::string FramesFile::image_file(int64_t frame, int64_t camera) const {
  if (image_paths_.empty()) {
    throw FormatError(str(quoted(path()), " has no camera images stored by path ('/cameras/image_path')"));
  }
  const std::string& relative = image_paths_.at(static_cast<size_t>(frame * camera_count() + camera));
  return !relative.empty() && relative[0] == '/' ? relative : dataroot_ + "/" + relative;
}

cv::Mat FramesFile::read_image_file(const std::string& image_path, int64_t frame, int64_t camera) const {
  auto fail = [&](const std::string& reason) {
    return IoError(str("cannot read image ", quoted(image_path), ": ", reason, " (frame ", frame, ", camera ",
                       camera_names_.at(static_cast<size_t>(camera)), " of ", quoted(path()), ")"));
  };
  // Checked first so a missing file is said plainly (and OpenCV prints no
  // warning of its own, e.g. from a loader thread).
  std::error_code error;
  if (!std::filesystem::is_regular_file(image_path, error)) throw fail("no such file");
  const cv::Mat bgr = cv::imread(image_path, cv::IMREAD_COLOR);
  if (bgr.empty()) throw fail("not an image OpenCV can decode");
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

cv::Mat FramesFile::depth(int64_t frame, int64_t camera) const {
  return camera_map("/cameras/depth", frame, camera, CV_32F);
}

cv::Mat FramesFile::semantics(int64_t frame, int64_t camera) const {
  return camera_map("/cameras/semantics", frame, camera, CV_8U);
}

cv::Mat FramesFile::instance(int64_t frame, int64_t camera) const {
  return camera_map("/cameras/instance", frame, camera, CV_32S);
}

Matrix3 FramesFile::intrinsics(int64_t frame, int64_t camera) const {
  return read_matrix<double, 9>(file_, "/cameras/intrinsics", frame, camera);
}

Matrix4 FramesFile::ego_from_camera(int64_t frame, int64_t camera) const {
  return read_matrix<double, 16>(file_, "/cameras/ego_from_camera", frame, camera);
}

Matrix4 FramesFile::world_from_ego(int64_t frame, int64_t camera) const {
  if (has("/cameras/world_from_ego"))
    return read_matrix<double, 16>(file_, "/cameras/world_from_ego", frame, camera);
  return read_matrix<double, 16>(file_, "/frames/world_from_ego", frame, 0);
}

std::vector<std::array<float, 4>> FramesFile::lidar_points(int64_t frame) const {
  std::vector<std::array<float, 4>> points;
  if (!has("/lidar/points") || !has("/lidar/offsets")) return points;
  const auto offsets = h5::read_rows<int64_t>(file_, "/lidar/offsets", frame, 2).values;
  const auto rows = h5::read_rows<float>(file_, "/lidar/points", offsets[0], offsets[1] - offsets[0]);
  points.resize(static_cast<size_t>(offsets[1] - offsets[0]));
  for (size_t i = 0; i < points.size(); ++i) {
    for (size_t k = 0; k < 4; ++k) points[i][k] = rows.values[i * 4 + k];
  }
  return points;
}

std::vector<FramesFile::Box> FramesFile::boxes(int64_t frame) const {
  std::vector<Box> boxes;
  if (!has("/boxes/offsets")) return boxes;
  const auto offsets = h5::read_rows<int64_t>(file_, "/boxes/offsets", frame, 2).values;
  const int64_t first = offsets[0];
  const int64_t count = offsets[1] - offsets[0];
  if (count <= 0) return boxes;
  const auto centers = h5::read_rows<double>(file_, "/boxes/center", first, count).values;
  const auto sizes = h5::read_rows<float>(file_, "/boxes/size_wlh", first, count).values;
  const auto yaws = h5::read_rows<double>(file_, "/boxes/yaw", first, count).values;
  const auto classes = h5::read_rows<uint8_t>(file_, "/boxes/class", first, count).values;
  const auto instances = h5::read_rows<int32_t>(file_, "/boxes/instance", first, count).values;
  for (int64_t i = 0; i < count; ++i) {
    Box box;
    for (int k = 0; k < 3; ++k) {
      box.center[k] = centers[i * 3 + k];
      box.size_wlh[k] = sizes[i * 3 + k];
    }
    box.yaw = yaws[i];
    box.class_id = classes[i];
    box.instance = instances[i];
    boxes.push_back(box);
  }
  return boxes;
}

}  // namespace occ
