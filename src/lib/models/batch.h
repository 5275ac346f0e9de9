#pragma once
// What a model sees: a batch of frames as tensors, and the grid it predicts.
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <vector>

#include "geom/voxel_grid.h"

namespace occ::models {

// The output occupancy grid (the frames file's grid): voxels along x, y, z of
// the ego frame, array index [x][y][z], voxel centre = origin + (i + 0.5) * size.
// The library's one grid type, so a model's grid is the one eval and render use.
using GridSpec = geom::VoxelGrid;

// One batch of B frames with N cameras each, on the model's device. Images
// are normalised and resized; the intrinsics match the resized images.
// Every field but images, intrinsics and ego_from_camera is undefined unless
// the model kind asks for it (ModelInputs) or the data has it (targets); the
// loader reads only what is asked for.
//
// Adding a field: a member here, one line in Batch::fields() (batch.cpp), and
// its reader in train/ filling the sample's field of the same name; moving
// to a device and stacking samples go over fields() and need no change.
struct Batch {
  at::Tensor images;           // [B, N, 3, H, W] float32
  at::Tensor intrinsics;       // [B, N, 3, 3] float32, pixels of `images`
  at::Tensor ego_from_camera;  // [B, N, 4, 4] float32
  // Training targets (undefined at inference and for self-supervised kinds).
  at::Tensor semantics;    // [B, X, Y, Z] int64 class ids
  at::Tensor mask_camera;  // [B, X, Y, Z] float32 1 = observed by a camera; undefined: all observed
  // Superpixel pseudo masks (occ cluster-masks) of every image, resized
  // (nearest) and flipped with it: segment id 0..count-1 per pixel of
  // `images`. Undefined unless the model asks for masks (ProtoOcc).
  at::Tensor masks;  // [B, N, H, W] int64
  // Per-pixel class ids of every camera (/cameras/semantics), resized
  // (nearest) and flipped with `images`. Undefined unless the model asks
  // for them (ModelInputs::camera_semantics; training only).
  at::Tensor camera_semantics;  // [B, N, H, W] int64

  // History keyframes of the same scene for temporal models, T of them,
  // t = 0 the nearest: frame "k - (t+1)*stride" of the scene's keyframes
  // (LoaderOptions::history_frames/history_stride). Undefined when T = 0.
  at::Tensor history_images;           // [B, T, N, 3, H, W], transformed like `images` (same flip)
  at::Tensor history_intrinsics;       // [B, T, N, 3, 3]
  at::Tensor history_ego_from_camera;  // [B, T, N, 4, 4]
  // Maps a point of the current ego frame to the ego frame of history frame t
  // (inverse(world_from_ego_t) * world_from_ego_now, computed in double).
  at::Tensor history_from_current;  // [B, T, 4, 4] float32
  // False where the scene has no such earlier keyframe: that entry then
  // repeats the current frame with the identity transform (BEVFormer's
  // behaviour at a scene start).
  at::Tensor history_valid;  // [B, T] bool

  // The camera images as colours in [0, 1] (RGB), resized and flipped like
  // `images`: what photometric losses compare (ModelInputs::colour_images).
  at::Tensor colour_images;  // [B, N, 3, H, W] float32
  // Maps a point of the frame's ego frame (/frames/world_from_ego) into the
  // ego frame at camera n's own capture time (/cameras/world_from_ego;
  // identity when the file has no per-camera poses), computed in double
  // (ModelInputs::capture_poses). Project with ego_from_camera after it.
  at::Tensor capture_from_current;  // [B, N, 4, 4] float32

  // Neighbour frames for reprojection (ModelInputs::neighbour_offsets), S of
  // them in the order of the offsets, counted in keyframes of the scene
  // (-1: the previous keyframe, +1 the next). Colour images (as
  // colour_images) with their cameras.
  at::Tensor neighbour_colour_images;    // [B, S, N, 3, H, W] float32 in [0, 1]
  at::Tensor neighbour_intrinsics;       // [B, S, N, 3, 3], pixels of the images above
  at::Tensor neighbour_ego_from_camera;  // [B, S, N, 4, 4]
  // Maps a point of the current ego frame into the ego frame in which camera
  // n of neighbour s was captured (its /cameras/world_from_ego, else its
  // /frames/world_from_ego), computed in double.
  at::Tensor neighbour_from_current;  // [B, S, N, 4, 4] float32
  // False where the scene has no such keyframe: the entry then repeats the
  // current frame with the identity transform, and losses must skip it.
  at::Tensor neighbour_valid;  // [B, S] bool

  // LiDAR points of the frame in its ego frame, P drawn per frame
  // (ModelInputs::lidar_points; with replacement when the frame has fewer),
  // a pure function of (seed, epoch, position) like every augmentation.
  at::Tensor lidar_points;  // [B, P, 3] float32
  at::Tensor lidar_valid;   // [B, P] bool; false everywhere on frames without points
  at::Tensor
      lidar_origin;  // [B, 3] float32 the sensor origin in the ego frame (/lidar/origin), where rays start

  // Optical-flow labels (occ flow-labels, ModelInputs::flow_labels) at the
  // pixels of `images`: resized nearest (pixel centres aligned) with dx, dy
  // scaled by the resize and dx negated on a flipped camera. Index 0 of the
  // second axis is the flow to the next keyframe, 1 to the previous one.
  at::Tensor flow;         // [B, 2, N, 2, H, W] float32 pixels (dx, dy)
  at::Tensor flow_valid;   // [B, 2, N, H, W] bool, forward-backward consistent
  at::Tensor static_flow;  // [B, 2, N, 2, H, W] float32 rigid flow from depth and ego motion
  at::Tensor dynamic;      // [B, 2, N, H, W] bool moving-object pixels
  at::Tensor movable;      // [B, N, H, W] bool pixels of movable classes

  // A seed per sample for the model's own random draws (ray pixels and
  // sample jitter), drawn by the loader from (seed, epoch, position) so that
  // a resumed run draws the same rays.
  at::Tensor sample_seed;  // [B] int64

  // Rows of the frames file the batch holds, in batch order.
  std::vector<int64_t> frames;

  int64_t size() const { return static_cast<int64_t>(frames.size()); }
  // Moves every defined tensor to `device` (a no-op when already there).
  Batch to(const at::Device& device) const;
};

// One tensor field of Batch, for code that goes over all of them (moving to
// a device, stacking samples). A sample's value of a field has the batch
// shape without the leading B.
struct BatchField {
  const char* name;
  at::Tensor Batch::*member;
};
const std::vector<BatchField>& batch_fields();

}  // namespace occ::models
