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

namespace occ::train {
FramesDataset::FramesDataset(const std::string& frames_path, const ImageOptions& image,
                             const LoaderOptions& options)
    : file_(frames_path),
      image_(image),
      with_targets_(options.with_targets),
      history_frames_(options.history_frames),
      history_stride_(options.history_stride) {
  if (!file_.has_images()) {
    throw FormatError(
        str(quoted(frames_path), " has no camera images ('/cameras/image' or '/cameras/image_path')"));
  }
  if (with_targets_) {
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
  if (!options.masks_path.empty()) masks_ = std::make_unique<SuperpixelMasks>(options.masks_path, file_);
  if (history_frames_ > 0) history_ = std::make_unique<KeyframeHistory>(file_);
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

FramesDataset::Cameras FramesDataset::read_cameras(int64_t row, const std::vector<bool>& flips) const {
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
  for (int64_t camera = 0; camera < cameras; ++camera) {
    const auto c = static_cast<size_t>(camera);
    PixelFromCamera intrinsics{};
    std::copy_n(intrinsics_row.begin() + static_cast<std::ptrdiff_t>(c * 9), 9, intrinsics.begin());
    cv::Mat image =
        resize_image(camera_image(row, camera, embedded_row), image_.height, image_.width, intrinsics);
    if (flips.at(c)) image = flip_image(image, intrinsics);
    if (!out.images.defined()) {
      out.images = at::empty({cameras, 3, image.rows, image.cols}, at::kFloat);
    } else if (out.images.size(2) != image.rows || out.images.size(3) != image.cols) {
      // Only possible for images by path at their own sizes.
      throw FormatError(str("camera images of frame ", row, " of ", quoted(file_.path()),
                            " differ in size; set the image height and width to resize them"));
    }
    normalise_to_planes(image, image_.mean, image_.std, image_.bgr, out.images[camera].data_ptr<float>());
    float* k = out.intrinsics[camera].data_ptr<float>();
    for (size_t i = 0; i < 9; ++i) k[i] = static_cast<float>(intrinsics[i]);
    float* extrinsics = out.ego_from_camera[camera].data_ptr<float>();
    for (size_t i = 0; i < 16; ++i) extrinsics[i] = static_cast<float>(extrinsics_row[c * 16 + i]);
  }
  return out;
}

void FramesDataset::read_history(Sample& sample, const Cameras& current,
                                 const std::vector<bool>& flips) const {
  auto& images = sample.history_images;
  auto& intrinsics = sample.history_intrinsics;
  auto& extrinsics = sample.history_ego_from_camera;
  sample.history_from_current = at::empty({history_frames_, 4, 4}, at::kFloat);
  sample.history_valid = at::empty({history_frames_}, at::kBool);
  bool* valid = sample.history_valid.data_ptr<bool>();
  for (int t = 0; t < history_frames_; ++t) {
    const int64_t earlier = history_->keyframe_before(sample.row, (t + 1) * history_stride_);
    float* history_from_current = sample.history_from_current[t].data_ptr<float>();
    valid[t] = earlier >= 0;
    if (earlier < 0) {
      // The scene starts sooner: the current frame again, not moved (what
      // BEVFormer feeds at a scene start; the model may mask it out).
      images.push_back(current.images);
      intrinsics.push_back(current.intrinsics);
      extrinsics.push_back(current.ego_from_camera);
      for (size_t i = 0; i < 16; ++i) history_from_current[i] = i % 5 == 0 ? 1.0f : 0.0f;
      continue;
    }
    // The same flips as the current frame, so history and current images
    // stay in one mirrored (or unmirrored) view of the world.
    Cameras frame = read_cameras(earlier, flips);
    if (!frame.images.sizes().equals(current.images.sizes())) {
      throw FormatError(
          str("frames ", sample.row, " and ", earlier, " (its history) of ", quoted(file_.path()),
              " have images of different sizes; set the image height and width to resize them"));
    }
    images.push_back(frame.images);
    intrinsics.push_back(frame.intrinsics);
    extrinsics.push_back(frame.ego_from_camera);
    const Matrix4 matrix = history_->history_from_current(sample.row, earlier);
    for (size_t i = 0; i < 16; ++i) history_from_current[i] = static_cast<float>(matrix[i]);
  }
}

Sample FramesDataset::read(int64_t row, const std::vector<bool>& flips) const {
  Sample sample;
  sample.row = row;
  const Cameras cameras = read_cameras(row, flips);
  sample.images = cameras.images;
  sample.intrinsics = cameras.intrinsics;
  sample.ego_from_camera = cameras.ego_from_camera;
  if (masks_) {
    sample.masks = masks_->read(row, static_cast<int>(cameras.images.size(2)),
                                static_cast<int>(cameras.images.size(3)), flips);
  }
  if (history_frames_ > 0) read_history(sample, cameras, flips);
  if (with_targets_) {
    const auto shape = file_.grid_shape();
    const std::vector<int64_t> grid{shape[0], shape[1], shape[2]};
    std::vector<uint8_t> semantics = file_.occupancy(row);
    sample.semantics = at::from_blob(semantics.data(), grid, at::kByte).to(at::kLong);
    if (has_camera_mask_) {
      std::vector<uint8_t> mask = file_.camera_mask(row);
      sample.mask_camera = at::from_blob(mask.data(), grid, at::kByte).to(at::kFloat);
    }
  }
  return sample;
}

models::Batch stack_samples(const std::vector<Sample>& samples, const std::string& frames_path) {
  models::Batch batch;
  std::vector<at::Tensor> images, intrinsics, extrinsics, semantics, masks;
  std::vector<at::Tensor> superpixels, history_images, history_intrinsics, history_extrinsics,
      history_from_current, history_valid;
  for (const Sample& sample : samples) {
    if (!sample.images.sizes().equals(samples.front().images.sizes())) {
      throw FormatError(
          str("frames ", samples.front().row, " and ", sample.row, " of ", quoted(frames_path),
              " have images of different sizes; set the image height and width to resize them"));
    }
    batch.frames.push_back(sample.row);
    images.push_back(sample.images);
    intrinsics.push_back(sample.intrinsics);
    extrinsics.push_back(sample.ego_from_camera);
    if (sample.semantics.defined()) semantics.push_back(sample.semantics);
    if (sample.mask_camera.defined()) masks.push_back(sample.mask_camera);
    if (sample.masks.defined()) superpixels.push_back(sample.masks);
    if (sample.history_valid.defined()) {
      // Samples first, then entries: [B * T, ...] viewed as [B, T, ...].
      history_images.insert(history_images.end(), sample.history_images.begin(), sample.history_images.end());
      history_intrinsics.insert(history_intrinsics.end(), sample.history_intrinsics.begin(),
                                sample.history_intrinsics.end());
      history_extrinsics.insert(history_extrinsics.end(), sample.history_ego_from_camera.begin(),
                                sample.history_ego_from_camera.end());
      history_from_current.push_back(sample.history_from_current);
      history_valid.push_back(sample.history_valid);
    }
  }
  batch.images = at::stack(images);
  batch.intrinsics = at::stack(intrinsics);
  batch.ego_from_camera = at::stack(extrinsics);
  if (!semantics.empty()) batch.semantics = at::stack(semantics);
  if (!masks.empty()) batch.mask_camera = at::stack(masks);
  if (!superpixels.empty()) batch.masks = at::stack(superpixels);
  if (!history_valid.empty()) {
    const auto with_entries = [&](const at::Tensor& stacked) {
      std::vector<int64_t> shape{batch.size(), -1};
      shape.insert(shape.end(), stacked.sizes().begin() + 1, stacked.sizes().end());
      return stacked.view(shape);
    };
    batch.history_images = with_entries(at::stack(history_images));
    batch.history_intrinsics = with_entries(at::stack(history_intrinsics));
    batch.history_ego_from_camera = with_entries(at::stack(history_extrinsics));
    batch.history_from_current = at::stack(history_from_current);
    batch.history_valid = at::stack(history_valid);
  }
  return batch;
}

}  // namespace occ::train
