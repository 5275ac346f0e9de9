#pragma once
// One frame of a frames file as tensors, ready for batching: the decoding
// step of BatchLoader, a pure function of (row, draws), so any thread may
// run it for any sample. Each input a model kind asks for (LoaderOptions)
// has one reader here: history and neighbour keyframes (keyframe_history),
// colour images, capture poses, LiDAR (lidar_sampler), flow labels
// (flow_label_file), superpixel masks (superpixel_masks) and targets.
#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "datasets/frames_file.h"
#include "models/batch.h"
#include "train/data_loader.h"
#include "train/flow_label_file.h"
#include "train/keyframe_history.h"
#include "train/lidar_sampler.h"
#include "train/superpixel_masks.h"

namespace occ::train {

// The random draws of one sample, made by the loader from (seed, epoch,
// position).
struct SampleDraws {
  std::vector<bool> flips;  // per camera: mirror its image (and intrinsics) left-right
  uint64_t key = 0;         // for LiDAR draws and Batch::sample_seed
};

struct Sample {
  int64_t row = 0;
  // Each Batch field without the batch axis (images [N, 3, H, W], ...).
  models::Batch values;
  // Fields kept as T entries (history and neighbour frames), so that
  // stack_samples copies their images once, into the batch [B, T, ...].
  std::map<std::string, std::vector<at::Tensor>> entries;
};

class FramesDataset {
 public:
  // Opens the file and checks it has images (and targets when
  // options.with_targets), opens the masks and flow-label files when set and
  // the LiDAR when asked for; throws FormatError naming the file otherwise.
  FramesDataset(const std::string& frames_path, const ImageOptions& image, const LoaderOptions& options);

  const FramesFile& file() const { return file_; }
  bool has_camera_mask() const { return has_camera_mask_; }

  // Throws naming the file when an image cannot be read.
  Sample read(int64_t row, const SampleDraws& draws) const;

 private:
  // The camera part of one frame, resized and flipped: normalised network
  // input and/or colours in [0, 1].
  struct Cameras {
    at::Tensor images;           // [N, 3, H, W], or undefined
    at::Tensor colour_images;    // [N, 3, H, W], or undefined
    at::Tensor intrinsics;       // [N, 3, 3]
    at::Tensor ego_from_camera;  // [N, 4, 4]
  };
  Cameras read_cameras(int64_t row, const std::vector<bool>& flips, bool normalised, bool colour) const;
  // Fills the sample's history_* from the earlier keyframes of its scene
  // (`current`: the sample's own cameras, repeated where there are none).
  void read_history(Sample& sample, const Cameras& current, const std::vector<bool>& flips) const;
  // Fills the sample's neighbour_* from the keyframes at the offsets.
  void read_neighbours(Sample& sample, const Cameras& current, const SampleDraws& draws) const;
  // The neighbour row at `offset` (-1 when there is none), drawn with
  // `key` among the sources within LoaderOptions::previous_source_max_distance_m.
  int64_t neighbour_row(int64_t row, int offset, uint64_t key) const;
  // [N, H, W] class ids of /cameras/semantics, nearest-resized and flipped.
  at::Tensor read_camera_semantics(int64_t row, int height, int width, const std::vector<bool>& flips) const;
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
  LoaderOptions options_;
  bool has_camera_mask_ = false;
  std::unique_ptr<SuperpixelMasks> masks_;      // null: no masks
  std::unique_ptr<FlowLabelFile> flow_labels_;  // null: no flow labels
  std::unique_ptr<KeyframeHistory> keyframes_;  // null without history, neighbours or capture poses
  std::unique_ptr<LidarSampler> lidar_;         // null: no LiDAR
};

// Stacks samples along a new batch axis; throws FormatError naming the file
// when their images differ in size.
models::Batch stack_samples(const std::vector<Sample>& samples, const std::string& frames_path);

}  // namespace occ::train
