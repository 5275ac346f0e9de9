#include "train/data_loader_dataset.h"

#include <algorithm>
#include <filesystem>

#include <ATen/ATen.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/strings.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "train/image_transform.h"
#include "train/sample_order.h"

namespace occ::train {
namespace {

// The stream of the previous-source draw under a sample's key (SampleDraws::key).
constexpr uint64_t kPreviousSourceStream = 0x70726576;  // "prev"

at::Tensor matrix_tensor(const Matrix4& matrix) {
  at::Tensor tensor = at::empty({4, 4}, at::kFloat);
  float* values = tensor.data_ptr<float>();
  for (size_t i = 0; i < 16; ++i) values[i] = static_cast<float>(matrix[i]);
  return tensor;
}

at::Tensor identity_transforms(int64_t count) {
  return at::eye(4, at::kFloat).expand({count, 4, 4}).contiguous();
}

}  // namespace

FramesDataset::FramesDataset(const std::string& frames_path, const ImageOptions& image,
                             const LoaderOptions& options)
    : file_(frames_path), image_(image), options_(options) {
  if (!file_.has_images()) {
    throw FormatError(
        str(quoted(frames_path), " has no camera images ('/cameras/image' or '/cameras/image_path')"));
  }
  if (options_.with_targets) {
    if (!file_.has("/occupancy/semantics")) {
      throw FormatError(str(quoted(frames_path), " has no occupancy targets ('/occupancy/semantics')"));
    }
    has_camera_mask_ = file_.has("/occupancy/mask_camera");
  }
  embedded_images_ = file_.has("/cameras/image");
  if (embedded_images_) {
    const h5::DatasetInfo info = h5::dataset_info(file_.file(), "/cameras/image");
    embedded_height_ = static_cast<int>(info.shape.at(2));
    embedded_width_ = static_cast<int>(info.shape.at(3));
  }
  if (!options_.masks_path.empty()) masks_ = std::make_unique<SuperpixelMasks>(options_.masks_path, file_);
  if (options_.camera_semantics && !file_.has("/cameras/semantics"))
    throw FormatError(
        str(quoted(frames_path),
            " has no per-pixel camera classes ('/cameras/semantics') for the image semantic loss"));
  if (!options_.flow_labels_path.empty())
    flow_labels_ = std::make_unique<FlowLabelFile>(options_.flow_labels_path, file_);
  if (options_.history_frames > 0 || !options_.neighbour_offsets.empty() || options_.capture_poses)
    keyframes_ = std::make_unique<KeyframeHistory>(file_, /*camera_poses=*/true);
  if (options_.lidar_points > 0) lidar_ = std::make_unique<LidarSampler>(file_);
}

cv::Mat FramesDataset::camera_image(int64_t row, int64_t camera, std::vector<uint8_t>& embedded_row) const {
  if (embedded_images_) {
    // A header on the frame's buffer: no copy; resize/flip make new images.
    const size_t camera_bytes =
        static_cast<size_t>(embedded_height_) * static_cast<size_t>(embedded_width_) * 3;
    return cv::Mat(embedded_height_, embedded_width_, CV_8UC3,
                   embedded_row.data() + camera_bytes * static_cast<size_t>(camera));
  }
  return file_.read_image_file(file_.image_file(row, camera), row, camera);
}

FramesDataset::Cameras FramesDataset::read_cameras(int64_t row, const std::vector<bool>& flips,
                                                   bool normalised, bool colour) const {
  const int64_t cameras = file_.camera_count();
  // One read per dataset and frame rather than FramesFile's per-camera reads:
  // occ's h5 layer opens the dataset on every read, so HDF5's chunk cache
  // dies with it and each per-camera read would inflate the whole chunk
  // again (for embedded images, the frame's row of all cameras).
  const auto intrinsics_row = h5::read_rows<double>(file_.file(), "/cameras/intrinsics", row, 1).values;
  const auto extrinsics_row = h5::read_rows<double>(file_.file(), "/cameras/ego_from_camera", row, 1).values;
  std::vector<uint8_t> embedded_row;
  if (embedded_images_) embedded_row = h5::read_rows<uint8_t>(file_.file(), "/cameras/image", row, 1).values;
  Cameras out;
  out.intrinsics = at::empty({cameras, 3, 3}, at::kFloat);
  out.ego_from_camera = at::empty({cameras, 4, 4}, at::kFloat);
  // Colours in [0, 1]: the same planes with mean 0 and std 255, RGB.
  constexpr std::array<float, 3> kNoMean{0.0f, 0.0f, 0.0f};
  constexpr std::array<float, 3> kUnitScale{255.0f, 255.0f, 255.0f};
  for (int64_t camera = 0; camera < cameras; ++camera) {
    const auto c = static_cast<size_t>(camera);
    PixelFromCamera intrinsics{};
    std::copy_n(intrinsics_row.begin() + static_cast<std::ptrdiff_t>(c * 9), 9, intrinsics.begin());
    cv::Mat image =
        resize_image(camera_image(row, camera, embedded_row), image_.height, image_.width, intrinsics);
    if (flips.at(c)) image = flip_image(image, intrinsics);
    const std::vector<int64_t> shape{cameras, 3, image.rows, image.cols};
    if (camera == 0) {
      if (normalised) out.images = at::empty(shape, at::kFloat);
      if (colour) out.colour_images = at::empty(shape, at::kFloat);
    } else if ((normalised ? out.images : out.colour_images).size(2) != image.rows ||
               (normalised ? out.images : out.colour_images).size(3) != image.cols) {
      // Only possible for images by path at their own sizes.
      throw FormatError(str("camera images of frame ", row, " of ", quoted(file_.path()),
                            " differ in size; set the image height and width to resize them"));
    }
    if (normalised)
      normalise_to_planes(image, image_.mean, image_.std, image_.bgr, out.images[camera].data_ptr<float>());
    if (colour)
      normalise_to_planes(image, kNoMean, kUnitScale, false, out.colour_images[camera].data_ptr<float>());
    float* k = out.intrinsics[camera].data_ptr<float>();
    for (size_t i = 0; i < 9; ++i) k[i] = static_cast<float>(intrinsics[i]);
    float* extrinsics = out.ego_from_camera[camera].data_ptr<float>();
    for (size_t i = 0; i < 16; ++i) extrinsics[i] = static_cast<float>(extrinsics_row[c * 16 + i]);
  }
  return out;
}

void FramesDataset::read_history(Sample& sample, const Cameras& current,
                                 const std::vector<bool>& flips) const {
  const int frames = options_.history_frames;
  auto& images = sample.entries["history_images"];
  auto& intrinsics = sample.entries["history_intrinsics"];
  auto& extrinsics = sample.entries["history_ego_from_camera"];
  at::Tensor history_from_current = at::empty({frames, 4, 4}, at::kFloat);
  at::Tensor history_valid = at::empty({frames}, at::kBool);
  bool* valid = history_valid.data_ptr<bool>();
  for (int t = 0; t < frames; ++t) {
    const int64_t earlier = keyframes_->keyframe_before(sample.row, (t + 1) * options_.history_stride);
    valid[t] = earlier >= 0;
    if (earlier < 0) {
      // The scene starts sooner: the current frame again, not moved (what
      // BEVFormer feeds at a scene start; the model may mask it out).
      images.push_back(current.images);
      intrinsics.push_back(current.intrinsics);
      extrinsics.push_back(current.ego_from_camera);
      history_from_current[t].copy_(at::eye(4, at::kFloat));
      continue;
    }
    // The same flips as the current frame, so history and current images
    // stay in one mirrored (or unmirrored) view of the world.
    Cameras frame = read_cameras(earlier, flips, /*normalised=*/true, /*colour=*/false);
    if (!frame.images.sizes().equals(current.images.sizes())) {
      throw FormatError(
          str("frames ", sample.row, " and ", earlier, " (its history) of ", quoted(file_.path()),
              " have images of different sizes; set the image height and width to resize them"));
    }
    images.push_back(frame.images);
    intrinsics.push_back(frame.intrinsics);
    extrinsics.push_back(frame.ego_from_camera);
    history_from_current[t].copy_(matrix_tensor(keyframes_->history_from_current(sample.row, earlier)));
  }
  sample.values.history_from_current = history_from_current;
  sample.values.history_valid = history_valid;
}

int64_t FramesDataset::neighbour_row(int64_t row, int offset, uint64_t key) const {
  if (offset != -1 || options_.previous_source_max_distance_m <= 0)
    return keyframes_->keyframe_at(row, offset);
  const std::vector<int64_t> sources =
      keyframes_->keyframes_within(row, options_.previous_source_max_distance_m);
  if (sources.empty()) return -1;
  const double u = unit_interval(hash_values({key, kPreviousSourceStream}));
  return sources[std::min(sources.size() - 1, static_cast<size_t>(u * static_cast<double>(sources.size())))];
}

void FramesDataset::read_neighbours(Sample& sample, const Cameras& current, const SampleDraws& draws) const {
  const std::vector<bool>& flips = draws.flips;
  const auto count = static_cast<int64_t>(options_.neighbour_offsets.size());
  const int64_t cameras = file_.camera_count();
  auto& images = sample.entries["neighbour_colour_images"];
  auto& intrinsics = sample.entries["neighbour_intrinsics"];
  auto& extrinsics = sample.entries["neighbour_ego_from_camera"];
  auto& transforms = sample.entries["neighbour_from_current"];
  at::Tensor neighbour_valid = at::empty({count}, at::kBool);
  for (int64_t s = 0; s < count; ++s) {
    const int64_t row =
        neighbour_row(sample.row, options_.neighbour_offsets[static_cast<size_t>(s)], draws.key);
    neighbour_valid[s] = row >= 0;
    if (row < 0) {
      // No such keyframe: the current frame, unmoved; losses skip it.
      images.push_back(current.colour_images);
      intrinsics.push_back(current.intrinsics);
      extrinsics.push_back(current.ego_from_camera);
      transforms.push_back(identity_transforms(cameras));
      continue;
    }
    // Flipped like the current frame: a flipped camera's neighbours are seen
    // through the same mirrored intrinsics, so reprojection stays exact.
    Cameras frame = read_cameras(row, flips, /*normalised=*/false, /*colour=*/true);
    if (!frame.colour_images.sizes().equals(current.colour_images.sizes())) {
      throw FormatError(
          str("frames ", sample.row, " and ", row, " (its neighbour) of ", quoted(file_.path()),
              " have images of different sizes; set the image height and width to resize them"));
    }
    images.push_back(frame.colour_images);
    intrinsics.push_back(frame.intrinsics);
    extrinsics.push_back(frame.ego_from_camera);
    at::Tensor per_camera = at::empty({cameras, 4, 4}, at::kFloat);
    for (int64_t camera = 0; camera < cameras; ++camera)
      per_camera[camera].copy_(matrix_tensor(keyframes_->capture_from_current(sample.row, row, camera)));
    transforms.push_back(per_camera);
  }
  sample.values.neighbour_valid = neighbour_valid;
}

at::Tensor FramesDataset::read_camera_semantics(int64_t row, int height, int width,
                                                const std::vector<bool>& flips) const {
  const int64_t cameras = file_.camera_count();
  at::Tensor classes = at::empty({cameras, height, width}, at::kLong);
  for (int64_t camera = 0; camera < cameras; ++camera) {
    cv::Mat wide;
    file_.semantics(row, camera).convertTo(wide, CV_16U);
    resize_labels_nearest(wide.ptr<uint16_t>(), wide.rows, wide.cols, height, width,
                          flips.at(static_cast<size_t>(camera)), classes[camera].data_ptr<int64_t>());
  }
  return classes;
}

Sample FramesDataset::read(int64_t row, const SampleDraws& draws) const {
  Sample sample;
  sample.row = row;
  const bool colour = options_.colour_images || !options_.neighbour_offsets.empty();
  const Cameras cameras = read_cameras(row, draws.flips, /*normalised=*/true, colour);
  models::Batch& values = sample.values;
  values.images = cameras.images;
  values.intrinsics = cameras.intrinsics;
  values.ego_from_camera = cameras.ego_from_camera;
  if (options_.colour_images) values.colour_images = cameras.colour_images;
  const int height = static_cast<int>(cameras.images.size(2));
  const int width = static_cast<int>(cameras.images.size(3));
  if (masks_) values.masks = masks_->read(row, height, width, draws.flips);
  if (options_.camera_semantics)
    values.camera_semantics = read_camera_semantics(row, height, width, draws.flips);
  if (options_.history_frames > 0) read_history(sample, cameras, draws.flips);
  if (!options_.neighbour_offsets.empty()) read_neighbours(sample, cameras, draws);
  if (options_.capture_poses) {
    const int64_t count = file_.camera_count();
    values.capture_from_current = at::empty({count, 4, 4}, at::kFloat);
    for (int64_t camera = 0; camera < count; ++camera)
      values.capture_from_current[camera].copy_(
          matrix_tensor(keyframes_->capture_from_current(row, row, camera)));
  }
  if (lidar_) {
    LidarDraw lidar = lidar_->draw(row, options_.lidar_points, draws.key);
    values.lidar_points = lidar.points;
    values.lidar_valid = lidar.valid;
    values.lidar_origin = lidar.origin;
  }
  if (flow_labels_) {
    FlowLabels labels = flow_labels_->read(row, height, width, draws.flips);
    values.flow = labels.flow;
    values.flow_valid = labels.flow_valid;
    values.static_flow = labels.static_flow;
    values.dynamic = labels.dynamic;
    values.movable = labels.movable;
  }
  if (options_.sample_seeds)
    values.sample_seed = at::scalar_tensor(static_cast<int64_t>(draws.key >> 1), at::kLong);
  if (options_.with_targets) {
    const auto shape = file_.grid_shape();
    const std::vector<int64_t> grid{shape[0], shape[1], shape[2]};
    std::vector<uint8_t> semantics = file_.occupancy(row);
    values.semantics = at::from_blob(semantics.data(), grid, at::kByte).to(at::kLong);
    if (has_camera_mask_) {
      std::vector<uint8_t> mask = file_.camera_mask(row);
      values.mask_camera = at::from_blob(mask.data(), grid, at::kByte).to(at::kFloat);
    }
  }
  return sample;
}

models::Batch stack_samples(const std::vector<Sample>& samples, const std::string& frames_path) {
  models::Batch batch;
  const Sample& first = samples.front();
  for (const Sample& sample : samples) {
    if (!sample.values.images.sizes().equals(first.values.images.sizes())) {
      throw FormatError(
          str("frames ", first.row, " and ", sample.row, " of ", quoted(frames_path),
              " have images of different sizes; set the image height and width to resize them"));
    }
    batch.frames.push_back(sample.row);
  }
  for (const models::BatchField& field : models::batch_fields()) {
    const auto entries = first.entries.find(field.name);
    std::vector<at::Tensor> parts;
    if (entries != first.entries.end()) {
      // Samples first, then entries: [B * T, ...] viewed as [B, T, ...].
      for (const Sample& sample : samples) {
        const auto& mine = sample.entries.at(field.name);
        parts.insert(parts.end(), mine.begin(), mine.end());
      }
      const at::Tensor stacked = at::stack(parts);
      std::vector<int64_t> shape{batch.size(), -1};
      shape.insert(shape.end(), stacked.sizes().begin() + 1, stacked.sizes().end());
      batch.*field.member = stacked.view(shape);
      continue;
    }
    if (!(first.values.*field.member).defined()) continue;
    // Every sample of a batch comes from the same readers.
    for (const Sample& sample : samples) parts.push_back(sample.values.*field.member);
    batch.*field.member = at::stack(parts);
  }
  return batch;
}

}  // namespace occ::train
