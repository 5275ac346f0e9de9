#pragma once
// Checks shared by the reference and the fused NeuS renderer, so that both
// reject the same inputs with the same message.
#include <ATen/ATen.h>

#include "render/neus_rendering.h"

namespace occ::render::detail {

struct RenderDims {
  int64_t batch = 0, rays = 0, samples = 0;
  bool has_flow = false;
};

RenderDims check_render_inputs(const FieldVolumes& fields, const VolumeBox& box, const RaySamples& rays,
                               const at::Tensor& inv_s);

}  // namespace occ::render::detail
