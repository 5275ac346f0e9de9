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
struct Batch {
  at::Tensor images;           // [B, N, 3, H, W] float32
  at::Tensor intrinsics;       // [B, N, 3, 3] float32, pixels of `images`
  at::Tensor ego_from_camera;  // [B, N, 4, 4] float32
  // Training targets (undefined at inference).
  at::Tensor semantics;    // [B, X, Y, Z] int64 class ids
  at::Tensor mask_camera;  // [B, X, Y, Z] float32 1 = observed by a camera; undefined: all observed
  // Superpixel pseudo masks (occ cluster-masks) of every image, resized
  // (nearest) and flipped with it: segment id 0..count-1 per pixel of
  // `images`. Undefined unless the model asks for masks (ProtoOcc).
  at::Tensor masks;  // [B, N, H, W] int64

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
  // Rows of the frames file the batch holds, in batch order.
  std::vector<int64_t> frames;

  int64_t size() const { return static_cast<int64_t>(frames.size()); }
  // Moves every defined tensor to `device` (a no-op when already there).
  Batch to(const at::Device& device) const;
};

}  // namespace occ::models
