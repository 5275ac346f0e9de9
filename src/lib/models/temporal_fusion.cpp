#include "models/temporal_fusion.h"

#include "nn/shape_text.h"

#include <torch/nn/init.h>

#include <string>

#include "core/error.h"
#include "models/spatial_cross_attention.h"

namespace occ::models {
namespace {

torch::nn::Conv3d conv(int64_t in, int64_t out, int64_t kernel) {
  return torch::nn::Conv3d(torch::nn::Conv3dOptions(in, out, kernel).padding(kernel / 2).bias(false));
}

}  // namespace

AlignedVolume align_history_volume(const at::Tensor& volume, const at::Tensor& history_from_current,
                                   const GridSpec& grid, const std::array<int64_t, 3>& query_shape) {
  const auto [nx, ny, nz] = query_shape;
  if (volume.dim() != 5 || volume.size(2) != nx || volume.size(3) != ny || volume.size(4) != nz)
    throw UsageError("temporal alignment: the volume must be [B, C, " + std::to_string(nx) + ", " +
                     std::to_string(ny) + ", " + std::to_string(nz) + "], got " + nn::shape_text(volume));
  const int64_t batch = volume.size(0);
  if (history_from_current.dim() != 3 || history_from_current.size(0) != batch ||
      history_from_current.size(1) != 4 || history_from_current.size(2) != 4)
    throw UsageError("temporal alignment: history_from_current must be [" + std::to_string(batch) +
                     ", 4, 4], got " + nn::shape_text(history_from_current));

  // Everything geometric in double, so that exact transforms give exact
  // voxel centres; the sampling grid takes the volume's dtype at the end.
  const at::Tensor centres = voxel_query_centres(grid, query_shape).to(at::kDouble).to(volume.device());
  const at::Tensor transform = history_from_current.to(at::kDouble);
  const at::Tensor rotation = transform.slice(1, 0, 3).slice(2, 0, 3);   // [B, 3, 3]
  const at::Tensor translation = transform.slice(1, 0, 3).select(2, 3);  // [B, 3]
  const at::Tensor moved =
      at::matmul(centres.unsqueeze(0), rotation.transpose(1, 2)) + translation.unsqueeze(1);  // [B, Q, 3]
  std::array<at::Tensor, 3> normalised;
  for (size_t axis = 0; axis < 3; ++axis) {
    const double extent = static_cast<double>(grid.shape[axis]) * grid.voxel_size_m[axis];
    normalised[axis] =
        (moved.select(2, static_cast<int64_t>(axis)) - grid.origin_m[axis]) / extent * 2.0 - 1.0;
  }
  // grid_sample reads a [B, C, D, H, W] input with (w, h, d) coordinates: our
  // [B, C, X, Y, Z] volume is D = X, H = Y, W = Z, so the order is (z, y, x).
  const at::Tensor sampling = at::stack({normalised[2], normalised[1], normalised[0]}, -1);
  const at::Tensor inside = (sampling.abs() <= 1.0).all(-1).view({batch, nx, ny, nz});
  const at::Tensor sampled =
      at::grid_sampler(volume, sampling.view({batch, nx, ny, nz, 3}).to(volume.scalar_type()),
                       /*interpolation_mode=*/0, /*padding_mode=*/0, /*align_corners=*/false);
  return {sampled, inside};
}

TemporalFusionImpl::TemporalFusionImpl(const TemporalFusionOptions& options) : options_(options) {
  if (options.embed_dims < 1 || options.history_frames < 1)
    throw UsageError("temporal fusion needs embed_dims >= 1 and history_frames >= 1");
  const int64_t dims = options.embed_dims;
  const int64_t stacked = (options.history_frames + 1) * dims;
  reduce = register_module("reduce", conv(stacked, dims, 1));
  reduce_norm = register_module("reduce_norm", torch::nn::BatchNorm3d(dims));
  spatial = register_module("spatial", conv(dims, dims, 3));
  spatial_norm = register_module("spatial_norm", torch::nn::BatchNorm3d(dims));
  expand = register_module("expand", conv(dims, dims, 1));
  expand_norm = register_module("expand_norm", torch::nn::BatchNorm3d(dims));
  shortcut = register_module("shortcut", conv(stacked, dims, 1));
  shortcut_norm = register_module("shortcut_norm", torch::nn::BatchNorm3d(dims));
  torch::NoGradGuard no_grad;
  // mmcv's kaiming_init defaults: normal, fan_out, ReLU gain.
  for (auto* layer : {&reduce, &spatial, &expand, &shortcut})
    torch::nn::init::kaiming_normal_((*layer)->weight, 0.0, torch::kFanOut, torch::kReLU);
}

at::Tensor TemporalFusionImpl::forward(const at::Tensor& current, const at::Tensor& history) {
  const int64_t frames = options_.history_frames;
  if (current.dim() != 5 || current.size(1) != options_.embed_dims)
    throw UsageError("temporal fusion: the current volume must be [B, " +
                     std::to_string(options_.embed_dims) + ", X, Y, Z], got " + nn::shape_text(current));
  if (history.dim() != 6 || history.size(0) != current.size(0) || history.size(1) != frames ||
      history.sizes().slice(2) != current.sizes().slice(1))
    throw UsageError("temporal fusion: the history must be [B, " + std::to_string(frames) +
                     ", C, X, Y, Z] matching the current volume " + nn::shape_text(current) + ", got " +
                     nn::shape_text(history));
  const at::Tensor stacked = at::cat({current, history.flatten(1, 2)}, 1);
  at::Tensor x = reduce_norm->forward(reduce->forward(stacked)).relu();
  x = spatial_norm->forward(spatial->forward(x)).relu();
  x = expand_norm->forward(expand->forward(x));
  return (x + shortcut_norm->forward(shortcut->forward(stacked))).relu();
}

}  // namespace occ::models
