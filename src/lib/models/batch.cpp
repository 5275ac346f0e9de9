#include "models/batch.h"

#include <ATen/ATen.h>

namespace occ::models {
namespace {

at::Tensor moved(const at::Tensor& tensor, const at::Device& device) {
  return tensor.defined() ? tensor.to(device) : tensor;
}

}  // namespace

Batch Batch::to(const at::Device& device) const {
  Batch out;
  out.images = moved(images, device);
  out.intrinsics = moved(intrinsics, device);
  out.ego_from_camera = moved(ego_from_camera, device);
  out.semantics = moved(semantics, device);
  out.mask_camera = moved(mask_camera, device);
  out.masks = moved(masks, device);
  out.history_images = moved(history_images, device);
  out.history_intrinsics = moved(history_intrinsics, device);
  out.history_ego_from_camera = moved(history_ego_from_camera, device);
  out.history_from_current = moved(history_from_current, device);
  out.history_valid = moved(history_valid, device);
  out.frames = frames;
  return out;
}

}  // namespace occ::models
