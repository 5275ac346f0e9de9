#include "nn/subpixel_conv_transpose3d.h"

#include <torch/nn/init.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"

namespace occ::nn {
namespace {

// [phases, taps, kernel] 0/1: which transposed-kernel index feeds conv tap t
// (input offset t - 1) of output phase p. Output 2m + p receives input i with
// kernel index k = 2m + p + 1 - 2i (stride 2, padding 1).
at::Tensor tap_selection(bool doubled) {
  if (!doubled) return at::ones({1, 1, 1});
  at::Tensor selection = at::zeros({2, 3, 4});
  for (int64_t phase = 0; phase < 2; ++phase)
    for (int64_t tap = 0; tap < 3; ++tap) {
      const int64_t kernel = phase + 1 - 2 * (tap - 1);
      if (kernel >= 0 && kernel < 4) selection[phase][tap][kernel] = 1.0;
    }
  return selection;
}

}  // namespace

SubpixelConvTranspose3dImpl::SubpixelConvTranspose3dImpl(const SubpixelConvTranspose3dOptions& options)
    : options_(options) {
  if (options.in_channels < 1 || options.out_channels < 1)
    throw UsageError("sub-pixel transposed convolution needs positive channel counts, got " +
                     std::to_string(options.in_channels) + " -> " + std::to_string(options.out_channels));
  std::vector<int64_t> shape = {options.in_channels, options.out_channels};
  for (bool doubled : options.doubled) shape.push_back(doubled ? 4 : 1);
  weight = register_parameter("weight", at::empty(shape));
  // torch.nn.ConvTranspose3d's reset_parameters: Kaiming-uniform with
  // a = sqrt(5) (fan_in from dim 1 of this layout), bias U(-1/sqrt(fan_in), ..).
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (options.bias) {
    const double fan_in = static_cast<double>(weight.size(1) * weight[0][0].numel());
    const double bound = 1.0 / std::sqrt(fan_in);
    bias = register_parameter("bias", at::empty({options.out_channels}).uniform_(-bound, bound));
  }
}

at::Tensor SubpixelConvTranspose3dImpl::equivalent_conv_weight() const {
  const auto options = weight.options();
  const at::Tensor sx = tap_selection(options_.doubled[0]).to(options);
  const at::Tensor sy = tap_selection(options_.doubled[1]).to(options);
  const at::Tensor sz = tap_selection(options_.doubled[2]).to(options);
  // W'[o, px, py, pz, i, tx, ty, tz] = sum_k Sx[px,tx,kx] Sy[py,ty,ky] Sz[pz,tz,kz] W[i, o, kx, ky, kz]
  const at::Tensor conv = at::einsum("adk,bel,cfm,iyklm->yabcidef", {sx, sy, sz, weight});
  return conv.reshape({-1, options_.in_channels, sx.size(1), sy.size(1), sz.size(1)});
}

at::Tensor SubpixelConvTranspose3dImpl::forward(const at::Tensor& input) {
  if (input.dim() != 5 || input.size(1) != options_.in_channels)
    throw UsageError("sub-pixel transposed convolution expects [B, " + std::to_string(options_.in_channels) +
                     ", X, Y, Z] input");
  std::array<int64_t, 3> phases{}, padding{};
  for (size_t axis = 0; axis < 3; ++axis) {
    phases[axis] = options_.doubled[axis] ? 2 : 1;
    padding[axis] = options_.doubled[axis] ? 1 : 0;
  }
  const at::Tensor shuffled_channels =
      at::conv3d(input, equivalent_conv_weight(), {}, /*stride=*/at::IntArrayRef{1, 1, 1}, padding);
  const int64_t batch = input.size(0), out = options_.out_channels;
  const int64_t nx = input.size(2), ny = input.size(3), nz = input.size(4);
  // [B, out, Px, Py, Pz, X, Y, Z] -> [B, out, X, Px, Y, Py, Z, Pz]: output 2m + p.
  at::Tensor output = shuffled_channels.view({batch, out, phases[0], phases[1], phases[2], nx, ny, nz})
                          .permute({0, 1, 5, 2, 6, 3, 7, 4})
                          .reshape({batch, out, nx * phases[0], ny * phases[1], nz * phases[2]});
  if (bias.defined()) output = output + bias.view({1, out, 1, 1, 1});
  return output;
}

}  // namespace occ::nn
