#include "losses/dynamic_flow.h"

#include <ATen/core/grad_mode.h>

#include "core/error.h"
#include "losses/loss_input_checks.h"
#include "render/projection.h"

namespace occ::losses {
namespace {

void check_rays(const DynamicRayInputs& in) {
  const auto bad = [&](const char* what, const at::Tensor& tensor) {
    throw UsageError(std::string("dynamic flow: ") + what + " does not match the rendered distance " +
                     detail::shape_text(in.distance) + ": " + detail::shape_text(tensor));
  };
  if (!in.distance.defined() || in.distance.dim() != 4)
    throw UsageError("dynamic flow: the rendered distance must be [B, N, rows, cols], got " +
                     detail::shape_text(in.distance));
  const auto grid = in.distance.sizes();
  const auto with_last = [&](const at::Tensor& tensor, int64_t last) {
    return tensor.defined() && tensor.dim() == 5 && tensor.sizes().slice(0, 4) == grid &&
           tensor.size(4) == last;
  };
  if (!with_last(in.origins, 3)) bad("origins", in.origins);
  if (!with_last(in.directions, 3)) bad("directions", in.directions);
  if (!with_last(in.pixels, 2)) bad("pixels", in.pixels);
  if (!with_last(in.flow_label, 2)) bad("the flow label", in.flow_label);
  if (!in.flow_valid.defined() || in.flow_valid.sizes() != grid) bad("the flow validity", in.flow_valid);
  if (!in.movable.defined() || in.movable.sizes() != grid) bad("the movable mask", in.movable);
}

}  // namespace

at::Tensor static_flow(const DynamicRayInputs& in) {
  check_rays(in);
  at::NoGradGuard no_grad;
  const at::Tensor surface = in.origins + in.distance.unsqueeze(-1) * in.directions;
  const render::Projection next =
      render::project_points(surface, in.next_intrinsics, in.next_camera_from_ego);
  return next.pixels - in.pixels.to(next.pixels.scalar_type());
}

at::Tensor dynamic_ray_mask(const DynamicRayInputs& in, double threshold_px) {
  at::NoGradGuard no_grad;
  const at::Tensor error = (in.flow_label.to(in.distance.scalar_type()) - static_flow(in)).norm(2, -1);
  return (error > threshold_px) & in.flow_valid.to(at::kBool) & in.movable.to(at::kBool);
}

at::Tensor flow_regularisation(const at::Tensor& rendered_flow, const at::Tensor& dynamic,
                               const at::Tensor& sample_flow, const at::Tensor& weights, double sample_weight,
                               double max_render_weight) {
  if (!rendered_flow.defined() || rendered_flow.size(-1) != 2 || !dynamic.defined() ||
      dynamic.sizes() != rendered_flow.sizes().slice(0, rendered_flow.dim() - 1))
    throw UsageError("flow regularisation: rendered flow [..., 2] " + detail::shape_text(rendered_flow) +
                     " and dynamic mask " + detail::shape_text(dynamic) + " disagree");
  if (!sample_flow.defined() || !weights.defined() || sample_flow.dim() != weights.dim() + 1 ||
      sample_flow.sizes().slice(0, weights.dim()) != weights.sizes() || sample_flow.size(-1) != 2)
    throw UsageError("flow regularisation: sample flow [..., S, 2] " + detail::shape_text(sample_flow) +
                     " and weights [..., S] " + detail::shape_text(weights) + " disagree");
  const at::Tensor still = (~dynamic.to(at::kBool)).to(rendered_flow.scalar_type());
  const at::Tensor ray_term = (rendered_flow.abs().sum(-1) * still).sum() / still.sum().clamp_min(1.0);
  const at::Tensor empty = (weights.detach() < max_render_weight).to(sample_flow.scalar_type());
  const at::Tensor sample_term = (sample_flow.abs().sum(-1) * empty).sum() / empty.sum().clamp_min(1.0);
  return ray_term + sample_weight * sample_term;
}

}  // namespace occ::losses
