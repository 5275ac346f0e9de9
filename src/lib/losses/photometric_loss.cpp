// Photometric reprojection of rendered samples (photometric_loss.h).
#include "losses/photometric_loss.h"

#include <string>

#include "core/error.h"
#include "core/strings.h"
#include "losses/loss_input_checks.h"
#include "losses/ssim.h"
#include "render/projection.h"

namespace occ::losses {
namespace {

[[noreturn]] void fail(const std::string& message) {
  throw UsageError("photometric loss: " + message);
}

void check_inputs(const PhotometricInputs& in) {
  if (!in.target.defined() || in.target.dim() != 5 || in.target.size(2) != 3)
    fail("target images must be [B, N, 3, H, W], got " + detail::shape_text(in.target));
  if (!in.weights.defined() || in.weights.dim() != 5 || in.weights.size(0) != in.target.size(0) ||
      in.weights.size(1) != in.target.size(1) || in.weights.size(2) < 2 || in.weights.size(3) < 2)
    fail("weights must be [B, N, rows, cols, S] with rows, cols >= 2 over the target's cameras, got " +
         detail::shape_text(in.weights));
  const auto grid = in.weights.sizes().slice(0, 4);
  if (!in.pixels.defined() || in.pixels.dim() != 5 || in.pixels.sizes().slice(0, 4) != grid ||
      in.pixels.size(4) != 2)
    fail("pixels must be [B, N, rows, cols, 2] like the weights, got " + detail::shape_text(in.pixels));
  std::vector<int64_t> points_shape(in.weights.sizes().begin(), in.weights.sizes().end());
  points_shape.push_back(3);
  if (!in.sample_points.defined() || in.sample_points.sizes() != at::IntArrayRef(points_shape))
    fail("sample points must be [B, N, rows, cols, S, 3] like the weights, got " +
         detail::shape_text(in.sample_points));
  if (in.sources.empty()) fail("needs at least one source frame");
  for (size_t k = 0; k < in.sources.size(); ++k) {
    const PhotometricSource& source = in.sources[k];
    if (!source.image.defined() || source.image.sizes() != in.target.sizes())
      fail(str("source ", k, " image ", detail::shape_text(source.image), " does not match the target ",
               detail::shape_text(in.target)));
    const at::Tensor& motion = source.sample_displacement;
    if (motion.defined() && (motion.dim() != 6 || motion.sizes().slice(0, 5) != in.weights.sizes() ||
                             (motion.size(5) != 2 && motion.size(5) != 3)))
      fail(str("source ", k, " sample displacement must be [B, N, rows, cols, S, 2 or 3], got ",
               detail::shape_text(motion)));
  }
}

// [B, N, rows, cols, C] -> [B*N, C, rows, cols] for SSIM on the ray grid.
at::Tensor as_grid_image(const at::Tensor& per_ray) {
  return per_ray.flatten(0, 1).permute({0, 3, 1, 2});
}

// l1 [B, N, rows, cols], colour and target [B, N, rows, cols, 3] -> the
// combined loss per ray.
at::Tensor combine(const at::Tensor& l1, const at::Tensor& colour, const at::Tensor& target_colour,
                   const PhotometricOptions& options) {
  const at::Tensor ssim =
      ssim_dissimilarity(as_grid_image(colour), as_grid_image(target_colour)).mean(1).reshape(l1.sizes());
  return options.l1_weight * l1 + options.ssim_weight * ssim;
}

}  // namespace

PhotometricResult photometric_loss(const PhotometricInputs& in, const PhotometricOptions& options) {
  check_inputs(in);
  const int64_t height = in.target.size(3), width = in.target.size(4);
  const at::Tensor target_colour = render::sample_images(in.target, in.pixels);  // [B, N, rows, cols, 3]
  std::vector<at::Tensor> candidates;
  for (const PhotometricSource& source : in.sources) {
    at::Tensor points = in.sample_points;
    if (source.sample_displacement.defined()) {
      at::Tensor motion = source.sample_displacement;
      if (motion.size(-1) == 2) motion = at::cat({motion, at::zeros_like(motion.narrow(-1, 0, 1))}, -1);
      points = points + motion;
    }
    const render::Projection projection =
        render::project_points(points, source.intrinsics, source.camera_from_ego);
    const at::Tensor valid = render::inside_image(projection, height, width);  // [B, N, rows, cols, S]
    const at::Tensor colour = render::sample_images(source.image, projection.pixels);  // [..., S, 3]
    const at::Tensor masked = in.weights * valid.to(in.weights.scalar_type());
    const at::Tensor total = masked.sum(-1, /*keepdim=*/true);
    const at::Tensor normalised = masked / total.clamp_min(1e-7);
    const at::Tensor l1 = ((colour - target_colour.unsqueeze(-2)).abs().mean(-1) * normalised).sum(-1);
    const at::Tensor blended = (colour * normalised.unsqueeze(-1)).sum(-2);  // [B, N, rows, cols, 3]
    const at::Tensor loss = combine(l1, blended, target_colour, options);
    const at::Tensor any_valid = valid.any(-1);
    candidates.push_back(at::where(any_valid, loss, at::full_like(loss, options.invalid_loss)));
  }
  if (options.automask) {
    for (const PhotometricSource& source : in.sources) {
      const at::Tensor colour = render::sample_images(source.image, in.pixels);
      const at::Tensor l1 = (colour - target_colour).abs().mean(-1);
      candidates.push_back(combine(l1, colour, target_colour, options));
    }
  }
  const auto [per_ray, choice] = at::stack(candidates, -1).min(-1);
  return {per_ray.mean(), per_ray, choice};
}

}  // namespace occ::losses
