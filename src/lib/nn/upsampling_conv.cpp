#include "nn/upsampling_conv.h"

#include <ATen/ATen.h>
#include <ATen/record_function.h>
#include <torch/nn/modules/conv.h>

#include <vector>

#include "core/error.h"
#include "core/strings.h"

namespace occ::nn {
namespace {

// Transposed-conv tap used by output phase r at input offset d (-1, 0, +1)
// of a doubled axis, or -1 where that input does not reach the output.
int transposed_tap(int phase, int offset) {
  static const int taps[2][3] = {{3, 1, -1}, {-1, 2, 0}};
  return taps[phase][offset + 1];
}

// For every element of the equivalent convolution weight
// [out, phases_x, phases_y, phases_z, in, tx, ty, tz], the flat index into
// the transposed weight, or `zero` for taps that contribute nothing.
at::Tensor gather_index(int64_t in, int64_t out, const std::array<bool, 3>& doubled, int64_t zero) {
  std::array<int64_t, 3> phases{}, taps{}, kernel{};
  for (int axis = 0; axis < 3; ++axis) {
    phases[axis] = doubled[axis] ? 2 : 1;
    taps[axis] = doubled[axis] ? 3 : 1;
    kernel[axis] = doubled[axis] ? 4 : 1;
  }
  std::vector<int64_t> index;
  index.reserve(
      static_cast<size_t>(out * phases[0] * phases[1] * phases[2] * in * taps[0] * taps[1] * taps[2]));
  auto tap = [&](int axis, int64_t phase, int64_t t) -> int64_t {
    if (!doubled[axis]) return 0;
    return transposed_tap(static_cast<int>(phase), static_cast<int>(t) - 1);
  };
  for (int64_t o = 0; o < out; ++o)
    for (int64_t px = 0; px < phases[0]; ++px)
      for (int64_t py = 0; py < phases[1]; ++py)
        for (int64_t pz = 0; pz < phases[2]; ++pz)
          for (int64_t i = 0; i < in; ++i)
            for (int64_t tx = 0; tx < taps[0]; ++tx)
              for (int64_t ty = 0; ty < taps[1]; ++ty)
                for (int64_t tz = 0; tz < taps[2]; ++tz) {
                  const int64_t kx = tap(0, px, tx), ky = tap(1, py, ty), kz = tap(2, pz, tz);
                  if (kx < 0 || ky < 0 || kz < 0) {
                    index.push_back(zero);
                  } else {
                    index.push_back((((i * out + o) * kernel[0] + kx) * kernel[1] + ky) * kernel[2] + kz);
                  }
                }
  return at::tensor(index, at::kLong);
}

}  // namespace

at::Tensor upsampling_conv_transpose3d(const at::Tensor& input, const at::Tensor& weight,
                                       const std::array<bool, 3>& doubled) {
  if (input.dim() != 5 || weight.dim() != 5 || weight.size(0) != input.size(1)) {
    throw Error(occ::str("upsampling_conv_transpose3d: input ", input.sizes(), " and weight ", weight.sizes(),
                         " do not fit"));
  }
  for (int axis = 0; axis < 3; ++axis) {
    if (weight.size(2 + axis) != (doubled[axis] ? 4 : 1)) {
      throw Error(occ::str("upsampling_conv_transpose3d: weight ", weight.sizes(),
                           " needs kernel 4 on doubled axes, 1 elsewhere"));
    }
  }
  // Named for profilers and nn::FlopCounter (which counts it as the
  // transposed convolution it equals, not as the wider convolution below).
  RECORD_FUNCTION("occ::upsampling_conv_transpose3d", std::vector<c10::IValue>({input, weight}));
  const int64_t in = weight.size(0), out = weight.size(1);
  std::array<int64_t, 3> phases{}, taps{};
  for (int axis = 0; axis < 3; ++axis) {
    phases[axis] = doubled[axis] ? 2 : 1;
    taps[axis] = doubled[axis] ? 3 : 1;
  }
  const int64_t phase_count = phases[0] * phases[1] * phases[2];
  const at::Tensor index = gather_index(in, out, doubled, weight.numel()).to(weight.device());
  // A trailing zero gives the taps that do not contribute.
  const at::Tensor flat = at::cat({weight.reshape({-1}), at::zeros({1}, weight.options())});
  const at::Tensor conv_weight =
      flat.index_select(0, index).view({out * phase_count, in, taps[0], taps[1], taps[2]});
  const at::Tensor phased = at::conv3d(input, conv_weight, {}, /*stride=*/1,
                                       /*padding=*/at::IntArrayRef{taps[0] / 2, taps[1] / 2, taps[2] / 2});
  const int64_t b = input.size(0), x = input.size(2), y = input.size(3), z = input.size(4);
  // [B, out, px, py, pz, X, Y, Z] -> [B, out, X, px, Y, py, Z, pz]: output 2i + r.
  return phased.view({b, out, phases[0], phases[1], phases[2], x, y, z})
      .permute({0, 1, 5, 2, 6, 3, 7, 4})
      .reshape({b, out, x * phases[0], y * phases[1], z * phases[2]});
}

UpsamplingConvTranspose3dImpl::UpsamplingConvTranspose3dImpl(int64_t in_channels, int64_t out_channels,
                                                             std::array<bool, 3> doubled)
    : doubled_(doubled) {
  torch::ExpandingArray<3> kernel(int64_t{1}), stride(int64_t{1}), padding(int64_t{0});
  for (size_t axis = 0; axis < 3; ++axis) {
    if (!doubled[axis]) continue;
    (*kernel)[axis] = 4;
    (*stride)[axis] = 2;
    (*padding)[axis] = 1;
  }
  // LibTorch's own layer gives the weight its usual initialisation.
  torch::nn::ConvTranspose3d reference(torch::nn::ConvTranspose3dOptions(in_channels, out_channels, kernel)
                                           .stride(stride)
                                           .padding(padding)
                                           .bias(false));
  weight = register_parameter("weight", reference->weight.detach().clone());
}

}  // namespace occ::nn
