#pragma once
// Frames file -> batches of tensors for training and inference: image decode
// (embedded or by path), resize and optional horizontal flip with the
// intrinsics updated, normalisation, batching, prefetch in background threads.
//
// Determinism: the order of frames and every random augmentation are pure
// functions of (seed, epoch, position), never of thread timing, so a run
// resumed at batch k sees exactly the batches an uninterrupted run saw.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/batch.h"
#include "models/model_inputs.h"

namespace occ::train {

struct ImageOptions {
  // Network input size; 0 keeps the stored size.
  int height = 0;
  int width = 0;
  // Per-channel normalisation (x - mean) / std on 0..255 values, in the
  // channel order the network receives. Default: torchvision's ImageNet
  // statistics in RGB (what torchvision ResNet weights expect).
  std::array<float, 3> mean{123.675f, 116.28f, 103.53f};
  std::array<float, 3> std{58.395f, 57.12f, 57.375f};
  // Feed BGR instead of RGB (caffe-style checkpoints such as FCOS3D's).
  bool bgr = false;
  // Probability of flipping each camera image left-right in training (the
  // intrinsics become fx' = -fx, cx' = W - cx, so projection stays exact).
  double flip_probability = 0.0;

  void validate() const;  // throws UsageError naming the key
  nlohmann::json to_json() const;
  static ImageOptions from_json(const nlohmann::json& json);  // keys as to_json
};

struct LoaderOptions {
  int batch_size = 1;
  bool shuffle = true;       // a new permutation each epoch (from seed, epoch)
  bool repeat = true;        // endless epochs (training); false: one pass
  bool drop_last = true;     // leave out a last incomplete batch
  bool with_targets = true;  // read semantics and mask_camera
  bool augment = true;       // apply the random augmentations (training only)
  uint64_t seed = 0;
  // Background threads decoding samples; 0 decodes in the caller's thread
  // inside next() (no threads: simplest to debug).
  int workers = 1;
  // Batches decoded or being decoded ahead of the consumer (bounds memory);
  // at most batch_size * prefetch samples are decoded at once, so workers
  // beyond that wait. A sample holds 1 + history_frames frames of images.
  int prefetch = 2;
  // Data parallelism: this process takes its share of each global batch of
  // batch_size * world_size frames (rank-th slice).
  // Without drop_last the last, short global batch of an epoch is split the
  // same way, so a rank may get a smaller batch or none (then skipped).
  int rank = 0;
  int world_size = 1;
  // Superpixel masks file (occ cluster-masks, made from the same frames
  // file) to fill Batch::masks with; empty: no masks.
  std::string masks_path;
  // History keyframes per sample (Batch::history_*): T frames, frame t being
  // (t + 1) * history_stride keyframes back in the same scene. Each one is
  // decoded like the sample itself, so decode work grows by (T + 1).
  int history_frames = 0;
  int history_stride = 1;
  // Neighbour keyframes for reprojection (Batch::neighbour_*), as keyframe
  // offsets in the scene (e.g. {-1, 1}).
  std::vector<int> neighbour_offsets;
  // > 0: offset -1 is drawn among the earlier keyframes within this many
  // metres of path (models::ModelInputs::previous_source_max_distance_m).
  double previous_source_max_distance_m = 0;
  bool colour_images = false;     // Batch::colour_images
  bool capture_poses = false;     // Batch::capture_from_current
  int lidar_points = 0;           // points drawn per frame (Batch::lidar_*); 0: none
  bool sample_seeds = false;      // Batch::sample_seed
  bool camera_semantics = false;  // Batch::camera_semantics (needs /cameras/semantics)
  // Flow-label file (occ flow-labels, made from the same frames file) to
  // fill Batch::flow etc. with; empty: none.
  std::string flow_labels_path;

  // Sets what a model kind reads besides frames: history keyframes and
  // capture poses always; neighbours, colours, LiDAR and seeds only for
  // `training` (they serve the losses; validation and prediction run the
  // forward pass alone). The files for masks and flow labels are set on
  // their own (masks_path, flow_labels_path).
  void ask_for(const models::ModelInputs& inputs, bool training);
  void validate() const;  // throws UsageError naming the option

  // One pass over the rows in order, every frame kept, no augmentation:
  // what validation and prediction read.
  static LoaderOptions single_pass(int batch_size = 1) {
    LoaderOptions options;
    options.batch_size = batch_size;
    options.shuffle = options.repeat = options.drop_last = options.augment = false;
    return options;
  }
};

class FramesDataset;

class BatchLoader {
 public:
  // rows: frames-file rows to draw from (e.g. keyframes with occupancy).
  // start_batch: index of the first batch to produce (resuming a run),
  // counted over all epochs in global batches (the same index on every rank;
  // equal to this rank's batch count unless a short last batch left it out).
  // Throws (naming the file) when the frames file lacks images, or targets
  // when with_targets is set, or when the masks file was made from another
  // frames file or does not cover its frames and cameras; UsageError (naming the option) for bad options,
  // an empty or out-of-range row list, or options that leave this rank no
  // frames in an endless run.
  BatchLoader(const std::string& frames_path, std::vector<int64_t> rows, ImageOptions image,
              LoaderOptions options, int64_t start_batch = 0);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch on the CPU, or nothing at the end of a non-repeating pass.
  // Call from one thread. An error while decoding (e.g. an unreadable image
  // file, named in the message) is rethrown here at the batch it belongs to;
  // calling next() again goes on with the following batch.
  std::optional<models::Batch> next();

  // Batches in one epoch (for this rank).
  int64_t batches_per_epoch() const;
  const models::GridSpec& grid() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Grid and class facts of a frames file, as the models need them.
models::GridSpec grid_of_frames_file(const std::string& frames_path);

// Keyframe rows of a frames file (/frames/is_keyframe), in order: what
// occ predict predicts.
std::vector<int64_t> keyframe_rows(const std::string& frames_path);
// Rows of a frames file that carry occupancy targets (keyframes), in order;
// empty when the file has no occupancy.
std::vector<int64_t> rows_with_targets(const std::string& frames_path);
// Keyframe rows with at least one of the neighbours at these keyframe
// offsets in their scene (all keyframes when `offsets` is empty): what a
// self-supervised kind trains on.
std::vector<int64_t> rows_with_neighbours(const std::string& frames_path, const std::vector<int>& offsets);

}  // namespace occ::train
