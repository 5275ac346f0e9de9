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
  out.frames = frames;
  return out;
}

}  // namespace occ::models
