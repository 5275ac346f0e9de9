#pragma once
// One frame of a frames file as tensors, ready for batching: the decoding
// step of BatchLoader, a pure function of (row, flips), so any thread may run
// it for any sample. With history frames a sample also holds the earlier
// keyframes of its scene, decoded with the same resize and flips.
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "datasets/frames_file.h"
#include "models/batch.h"
#include "train/data_loader.h"
#include "train/keyframe_history.h"
#include "train/superpixel_masks.h"

namespace occ::train {

struct Sample {
  int64_t row = 0;
  at::Tensor images;           // [N, 3, H, W] float32, normalised
  at::Tensor intrinsics;       // [N, 3, 3] float32
  at::Tensor ego_from_camera;  // [N, 4, 4] float32
  at::Tensor semantics;        // [X, Y, Z] int64, or undefined
  at::Tensor mask_camera;      // [X, Y, Z] float32, or undefined
  at::Tensor masks;            // [N, H, W] int64 segment ids, or undefined
  // T = history_frames entries (Batch::history_*), none when T = 0. Kept
  // per entry so that stack_samples copies the history images (T times a
  // frame's images) once, into the batch.
  std::vector<at::Tensor> history_images;           // T x [N, 3, H, W]
  std::vector<at::Tensor> history_intrinsics;       // T x [N, 3, 3]
  std::vector<at::Tensor> history_ego_from_camera;  // T x [N, 4, 4]
  at::Tensor history_from_current;                  // [T, 4, 4] float32, or undefined
  at::Tensor history_valid;                         // [T] bool, or undefined
};

class FramesDataset {
 public:
  // Opens the file and checks it has images (and targets when
  // options.with_targets), opens options.masks_path when set; throws
  // FormatError naming the file otherwise (see SuperpixelMasks for masks).
  FramesDataset(const std::string& frames_path, const ImageOptions& image, const LoaderOptions& options);

  const FramesFile& file() const { return file_; }
  bool has_camera_mask() const { return has_camera_mask_; }

  // flips[camera]: mirror that camera's image (and intrinsics) left-right.
  // Throws naming the file when an image cannot be read.
  Sample read(int64_t row, const std::vector<bool>& flips) const;

 private:
  // The camera part of one frame, resized, flipped and normalised.
  struct Cameras {
    at::Tensor images;           // [N, 3, H, W]
    at::Tensor intrinsics;       // [N, 3, 3]
    at::Tensor ego_from_camera;  // [N, 4, 4]
  };
  Cameras read_cameras(int64_t row, const std::vector<bool>& flips) const;
  // Fills the sample's history_* from the earlier keyframes of its scene
  // (`current`: the sample's own cameras, repeated where there are none).
  void read_history(Sample& sample, const Cameras& current, const std::vector<bool>& flips) const;
  // RGB image of a camera; embedded images point into `embedded_row` (the
  // frame's row of /cameras/image).
  cv::Mat camera_image(int64_t row, int64_t camera, std::vector<uint8_t>& embedded_row) const;

  FramesFile file_;
  // Images by path: the whole path column, read once. FramesFile::image reads
  // the column on every call (~11 ms per image at 5000 frames x 6 cameras,
  // growing with the file), too slow for a training loop.
  bool embedded_images_ = false;                  // /cameras/image, else image files by path
  int embedded_height_ = 0, embedded_width_ = 0;  // of /cameras/image
  ImageOptions image_;
  bool with_targets_;
  bool has_camera_mask_ = false;
  std::unique_ptr<SuperpixelMasks> masks_;  // null: no masks
  int history_frames_ = 0, history_stride_ = 1;
  std::unique_ptr<KeyframeHistory> history_;  // null when history_frames_ = 0
};

// Stacks samples along a new batch axis; throws FormatError naming the file
// when their images differ in size.
models::Batch stack_samples(const std::vector<Sample>& samples, const std::string& frames_path);

}  // namespace occ::train
