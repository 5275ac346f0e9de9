#pragma once
// What a model sees: a batch of frames as tensors, and the grid it predicts.
#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <vector>

namespace occ::models {

// The output occupancy grid (the frames file's grid): voxels along x, y, z of
// the ego frame, array index [x][y][z], voxel centre = origin + (i + 0.5) * size.
struct GridSpec {
  std::array<int64_t, 3> shape{200, 200, 16};
  std::array<double, 3> origin_m{-40.0, -40.0, -1.0};
  std::array<double, 3> voxel_size_m{0.4, 0.4, 0.4};
  int64_t num_classes = 18;  // including the free class
  int64_t free_class = 17;
};

// One batch of B frames with N cameras each, on the model's device. Images
// are normalised and resized; the intrinsics match the resized images.
struct Batch {
  at::Tensor images;           // [B, N, 3, H, W] float32
  at::Tensor intrinsics;       // [B, N, 3, 3] float32, pixels of `images`
  at::Tensor ego_from_camera;  // [B, N, 4, 4] float32
  // Training targets (undefined at inference).
  at::Tensor semantics;    // [B, X, Y, Z] int64 class ids
  at::Tensor mask_camera;  // [B, X, Y, Z] float32 1 = observed by a camera; undefined: all observed
  // Rows of the frames file the batch holds, in batch order.
  std::vector<int64_t> frames;

  int64_t size() const { return static_cast<int64_t>(frames.size()); }
  // Moves every defined tensor to `device` (a no-op when already there).
  Batch to(const at::Device& device) const;
};

}  // namespace occ::models
