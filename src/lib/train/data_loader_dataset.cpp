#include "train/data_loader_dataset.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/strings.h"
#include "train/image_transform.h"

namespace occ::train {
namespace {

template <size_t N>
void copy_to_floats(const std::array<double, N>& values, float* out) {
  for (size_t i = 0; i < N; ++i) out[i] = static_cast<float>(values[i]);
}

}  // namespace

FramesDataset::FramesDataset(const std::string& frames_path, const ImageOptions& image, bool with_targets)
    : file_(frames_path), image_(image), with_targets_(with_targets) {
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
}

Sample FramesDataset::read(int64_t row, const std::vector<bool>& flips) const {
  const int64_t cameras = file_.camera_count();
  Sample sample;
  sample.row = row;
  sample.intrinsics = at::empty({cameras, 3, 3}, at::kFloat);
  sample.ego_from_camera = at::empty({cameras, 4, 4}, at::kFloat);
  for (int64_t camera = 0; camera < cameras; ++camera) {
    PixelFromCamera intrinsics = file_.intrinsics(row, camera);
    cv::Mat image = resize_image(file_.image(row, camera), image_.height, image_.width, intrinsics);
    if (flips.at(static_cast<size_t>(camera))) image = flip_image(image, intrinsics);
    if (!sample.images.defined()) {
      sample.images = at::empty({cameras, 3, image.rows, image.cols}, at::kFloat);
    } else if (sample.images.size(2) != image.rows || sample.images.size(3) != image.cols) {
      // Only possible for images by path at their own sizes.
      throw FormatError(str("camera images of frame ", row, " of ", quoted(file_.path()),
                            " differ in size; set the image height and width to resize them"));
    }
    normalise_to_planes(image, image_.mean, image_.std, image_.bgr, sample.images[camera].data_ptr<float>());
    copy_to_floats(intrinsics, sample.intrinsics[camera].data_ptr<float>());
    copy_to_floats(file_.ego_from_camera(row, camera), sample.ego_from_camera[camera].data_ptr<float>());
  }
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
  }
  batch.images = at::stack(images);
  batch.intrinsics = at::stack(intrinsics);
  batch.ego_from_camera = at::stack(extrinsics);
  if (!semantics.empty()) batch.semantics = at::stack(semantics);
  if (!masks.empty()) batch.mask_camera = at::stack(masks);
  return batch;
}

}  // namespace occ::train
