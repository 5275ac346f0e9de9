// The LibTorch reference of NeuS rendering; semantics in neus_rendering.h.
#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/strings.h"
#include "nn/shape_text.h"
#include "render/fields.h"
#include "render/neus_detail.h"
#include "render/neus_rendering.h"

namespace occ::render {
namespace detail {

RenderDims check_render_inputs(const FieldVolumes& fields, const VolumeBox& box, const RaySamples& rays,
                               const at::Tensor& inv_s) {
  check_volume_box(box, "render");
  const at::Tensor& sdf = fields.sdf;
  if (!sdf.defined() || sdf.dim() != 5 || sdf.size(1) != 1 || sdf.size(2) != box.vertex_shape[0] ||
      sdf.size(3) != box.vertex_shape[1] || sdf.size(4) != box.vertex_shape[2])
    throw UsageError(str("render: sdf must be [B, 1, ", box.vertex_shape[0], ", ", box.vertex_shape[1], ", ",
                         box.vertex_shape[2], "], got ", nn::shape_text(sdf)));
  RenderDims dims;
  dims.batch = sdf.size(0);
  if (!rays.t.defined() || rays.t.dim() != 3 || rays.t.size(0) != dims.batch)
    throw UsageError("render: sample distances t must be [B, R, S] with B = " + std::to_string(dims.batch) +
                     ", got " + nn::shape_text(rays.t));
  dims.rays = rays.t.size(1);
  dims.samples = rays.t.size(2);
  if (!rays.deltas.defined() || rays.deltas.sizes() != rays.t.sizes())
    throw UsageError("render: deltas " + nn::shape_text(rays.deltas) + " must match t " +
                     nn::shape_text(rays.t));
  for (const at::Tensor* vectors : {&rays.origins, &rays.directions})
    if (!vectors->defined() || vectors->dim() != 3 || vectors->size(0) != dims.batch ||
        vectors->size(1) != dims.rays || vectors->size(2) != 3)
      throw UsageError(str("render: ray origins and directions must be [", dims.batch, ", ", dims.rays,
                           ", 3], got ", nn::shape_text(*vectors)));
  if (fields.flow.defined()) {
    const at::Tensor& flow = fields.flow;
    if (flow.dim() != 5 || flow.size(0) != dims.batch || flow.size(1) != 2 ||
        flow.sizes().slice(2) != sdf.sizes().slice(2))
      throw UsageError("render: flow must be [B, 2, X, Y, Z] like sdf " + nn::shape_text(sdf) + ", got " +
                       nn::shape_text(flow));
    dims.has_flow = true;
  }
  if (!inv_s.defined() || inv_s.numel() != 1)
    throw UsageError("render: inv_s must be one number, got " + nn::shape_text(inv_s));
  return dims;
}

}  // namespace detail

double cos_anneal_ratio(int64_t step, int64_t anneal_steps) {
  if (anneal_steps <= 0) return 1.0;
  return std::min(1.0, static_cast<double>(std::max<int64_t>(step, 0)) / static_cast<double>(anneal_steps));
}

at::Tensor sample_points(const RaySamples& rays) {
  return rays.origins.unsqueeze(2) + rays.t.unsqueeze(-1) * rays.directions.unsqueeze(2);
}

RenderOutput render_neus(const FieldVolumes& fields, const VolumeBox& box, const RaySamples& rays,
                         const at::Tensor& inv_s, double ratio, bool fused) {
  const bool fusable = fields.sdf.defined() && fields.sdf.device().is_cpu() &&
                       (fields.sdf.scalar_type() == at::kFloat || fields.sdf.scalar_type() == at::kDouble);
  return fused && fusable ? render_fused(fields, box, rays, inv_s, ratio)
                          : render_reference(fields, box, rays, inv_s, ratio);
}

RenderOutput render_reference(const FieldVolumes& fields, const VolumeBox& box, const RaySamples& rays,
                              const at::Tensor& inv_s_in, double ratio) {
  const detail::RenderDims dims = detail::check_render_inputs(fields, box, rays, inv_s_in);
  const at::Tensor inv_s = inv_s_in.reshape({});
  const at::Tensor points = sample_points(rays);
  RenderOutput out;
  out.sample_sdf = sample_volume(fields.sdf, box, points).squeeze(-1);                      // [B, R, S]
  out.sample_gradients = sample_volume(sdf_gradient_volume(fields.sdf, box), box, points);  // [B, R, S, 3]
  const at::Tensor cos = (out.sample_gradients * rays.directions.unsqueeze(2)).sum(-1);
  const at::Tensor iter_cos = -(at::relu(-0.5 * cos + 0.5) * (1.0 - ratio) + at::relu(-cos) * ratio);
  const at::Tensor half_step = iter_cos * rays.deltas * 0.5;
  const at::Tensor prev_cdf = at::sigmoid((out.sample_sdf - half_step) * inv_s);
  const at::Tensor next_cdf = at::sigmoid((out.sample_sdf + half_step) * inv_s);
  const at::Tensor alpha = ((prev_cdf - next_cdf + 1e-5) / (prev_cdf + 1e-5)).clamp(0.0, 1.0);
  const at::Tensor survive = at::cumprod(1.0 - alpha, -1);
  const at::Tensor transmittance =
      at::cat({at::ones_like(survive.narrow(-1, 0, 1)), survive.narrow(-1, 0, dims.samples - 1)}, -1);
  out.weights = alpha * transmittance;
  out.distance = (out.weights * rays.t).sum(-1);
  out.opacity = out.weights.sum(-1);
  if (dims.has_flow) {
    out.sample_flow = sample_volume(fields.flow, box, points);  // [B, R, S, 2]
    out.flow = (out.weights.unsqueeze(-1) * out.sample_flow).sum(-2);
  }
  return out;
}

}  // namespace occ::render
