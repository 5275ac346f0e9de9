#include "losses/flow_loss.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "losses/loss_input_checks.h"
#include "render/projection.h"

namespace occ::losses {
namespace {

void check_inputs(const FlowLossInputs& in) {
  const auto fail = [](const std::string& what, const at::Tensor& tensor) {
    throw UsageError("optical flow loss: " + what + ", got " + detail::shape_text(tensor));
  };
  if (!in.weights.defined() || in.weights.dim() != 5)
    fail("weights must be [B, N, rows, cols, S]", in.weights);
  const auto grid = in.weights.sizes().slice(0, 4);
  const auto per_sample = [&](const at::Tensor& tensor, int64_t last) {
    return tensor.defined() && tensor.dim() == 6 && tensor.sizes().slice(0, 5) == in.weights.sizes() &&
           tensor.size(5) == last;
  };
  const auto per_ray = [&](const at::Tensor& tensor, int64_t last) {
    return tensor.defined() && tensor.dim() == 5 && tensor.sizes().slice(0, 4) == grid &&
           tensor.size(4) == last;
  };
  if (!per_sample(in.sample_points, 3))
    fail("sample points must be [B, N, rows, cols, S, 3]", in.sample_points);
  if (!per_sample(in.sample_flow, 2)) fail("sample flow must be [B, N, rows, cols, S, 2]", in.sample_flow);
  if (!per_ray(in.pixels, 2)) fail("pixels must be [B, N, rows, cols, 2]", in.pixels);
  if (!per_ray(in.flow_label, 2)) fail("the flow label must be [B, N, rows, cols, 2]", in.flow_label);
  if (!in.flow_valid.defined() || in.flow_valid.sizes() != grid)
    fail("the flow validity must be [B, N, rows, cols]", in.flow_valid);
  if (!in.dynamic.defined() || in.dynamic.sizes() != grid)
    fail("the dynamic mask must be [B, N, rows, cols]", in.dynamic);
}

}  // namespace

FlowLossResult optical_flow_loss(const FlowLossInputs& in, const FlowLossOptions& options) {
  check_inputs(in);
  const at::Tensor dynamic = in.dynamic.to(at::kBool);
  at::Tensor weights = in.weights;
  if (options.detach_dynamic_weights) weights = at::where(dynamic.unsqueeze(-1), weights.detach(), weights);
  const at::Tensor motion = at::cat({in.sample_flow, at::zeros_like(in.sample_flow.narrow(-1, 0, 1))}, -1);
  const render::Projection next =
      render::project_points(in.sample_points + motion, in.next_intrinsics, in.next_camera_from_ego);
  const at::Tensor usable = (weights.detach() > options.min_sample_weight) & (next.depth > 0);
  const at::Tensor kept_weights = weights * usable.to(weights.scalar_type());
  const at::Tensor normalised = kept_weights / kept_weights.sum(-1, /*keepdim=*/true).clamp_min(1e-7);
  // Unused samples may project anywhere (behind the camera: huge): zeroed, so
  // that 0 x huge never turns into NaN in the backward.
  const at::Tensor projected = at::where(usable.unsqueeze(-1), next.pixels, at::zeros_like(next.pixels));
  const at::Tensor rendered =
      (projected * normalised.unsqueeze(-1)).sum(-2) - in.pixels.to(next.pixels.scalar_type());
  const at::Tensor per_ray = (rendered - in.flow_label.to(rendered.scalar_type())).abs().sum(-1);
  at::Tensor kept = in.flow_valid.to(at::kBool) & usable.any(-1);
  if (kept.any().item<bool>()) {
    const at::Tensor detached = per_ray.detach();
    // torch.median: the lower middle value.
    const double median = detached.masked_select(kept).median().item<double>();
    // Rays under the floor are never outliers: when most rays are near 0 px
    // (a converged flow) the median rule would drop rounding noise.
    const at::Tensor outlier =
        ((detached >= options.outlier_median_factor * median) & (detached >= options.outlier_floor)) |
        (detached >= options.outlier_max);
    kept = kept & ~outlier;
  }
  const double all = static_cast<double>(kept.sum().item<int64_t>());
  const double dynamic_count = static_cast<double>((kept & dynamic).sum().item<int64_t>());
  const double dynamic_weight =
      dynamic_count > 0 ? std::min(all / dynamic_count, options.dynamic_weight_max) : 1.0;
  const at::Tensor ray_weight =
      at::where(dynamic, at::full_like(per_ray, dynamic_weight), at::ones_like(per_ray)) *
      kept.to(per_ray.scalar_type());
  // With nothing kept the 0 stays attached to the graph (a trainer may call backward).
  const at::Tensor loss = (per_ray * ray_weight).sum() / std::max(all, 1.0);
  return {loss, per_ray, kept};
}

}  // namespace occ::losses
