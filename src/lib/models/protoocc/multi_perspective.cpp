// Query augmentations of ProtoOcc's multi-perspective decoding (Sec. 3.3).
#include "models/protoocc/multi_perspective.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <utility>

#include "core/error.h"
#include "core/strings.h"

namespace occ::models {
namespace {

constexpr std::array<std::pair<PerspectiveAugmentation, const char*>, 5> kNames = {{
    {PerspectiveAugmentation::Dropout, "dropout"},
    {PerspectiveAugmentation::Noise, "noise"},
    {PerspectiveAugmentation::Transpose, "transpose"},
    {PerspectiveAugmentation::FlipX, "flip_x"},
    {PerspectiveAugmentation::FlipY, "flip_y"},
}};

// An option ("--aug") reads best bare, a configuration key quoted.
std::string key_text(const std::string& key) {
  return !key.empty() && key[0] == '-' ? key : quoted(key);
}

std::string trimmed(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::string valid_names() {
  std::vector<std::string> names;
  for (const auto& [augmentation, name] : kNames) names.emplace_back(name);
  return join(names, ", ") + " (flip: both flips) or none";
}

// The last three axes are X, Y, Z whatever comes before them (channels or not).
void require_spatial_rank(const at::Tensor& tensor, const char* what) {
  if (!tensor.defined() || tensor.dim() < 3)
    throw UsageError(str(what, " needs a tensor whose last three axes are x, y, z, got rank ",
                         tensor.defined() ? tensor.dim() : 0));
}

int64_t x_axis(const at::Tensor& tensor) {
  return tensor.dim() - 3;
}

void require_square(const at::Tensor& tensor, const char* what) {
  const int64_t x = x_axis(tensor);
  if (tensor.size(x) != tensor.size(x + 1))
    throw UsageError(str(what, ": transpose needs as many voxels along x as along y, got ", tensor.size(x),
                         " and ", tensor.size(x + 1)));
}

// Draws on the default CPU generator (see the header), in float or double.
at::TensorOptions draw_options(const at::Tensor& volume) {
  return at::TensorOptions().device(at::kCPU).dtype(volume.scalar_type() == at::kDouble ? at::kDouble
                                                                                        : at::kFloat);
}

// at::dropout(volume, p, train=true) as LibTorch computes it on the CPU
// (ATen/native/Dropout.cpp, _dropout_impl): a Bernoulli(1 - p) keep mask
// divided by 1 - p. Written out so that the draws come from the CPU
// generator on every device.
at::Tensor dropout(const at::Tensor& volume, double p) {
  if (p == 0.0 || volume.numel() == 0) return volume;
  at::Tensor keep = at::empty_like(volume, draw_options(volume)).bernoulli_(1.0 - p);
  keep.div_(1.0 - p);
  return volume * keep.to(volume.options());
}

at::Tensor gaussian_noise(const at::Tensor& volume, double noise_std) {
  if (noise_std == 0.0 || volume.numel() == 0) return volume;
  const at::Tensor noise = at::randn(volume.sizes(), draw_options(volume)) * noise_std;
  return volume + noise.to(volume.options());
}

}  // namespace

std::vector<PerspectiveAugmentation> parse_perspective_augmentations(const std::string& list,
                                                                     const std::string& key) {
  std::vector<PerspectiveAugmentation> augmentations;
  const std::string whole = trimmed(list);
  if (whole.empty() || whole == "none") return augmentations;
  size_t begin = 0;
  while (true) {
    const size_t comma = whole.find(',', begin);
    const std::string name = trimmed(whole.substr(begin, comma == std::string::npos ? comma : comma - begin));
    if (name.empty())
      throw UsageError(str(key_text(key), " has an empty augmentation name in ", quoted(list)));
    // "flip" (issue 9's spelling of the paper's flips) is both, one view each.
    std::vector<PerspectiveAugmentation> named;
    if (name == "flip") {
      named = {PerspectiveAugmentation::FlipX, PerspectiveAugmentation::FlipY};
    } else {
      const auto found =
          std::find_if(kNames.begin(), kNames.end(), [&](const auto& entry) { return name == entry.second; });
      if (found == kNames.end())
        throw UsageError(
            str(key_text(key), ": unknown augmentation ", quoted(name), ": use ", valid_names()));
      named = {found->first};
    }
    for (const PerspectiveAugmentation augmentation : named) {
      if (std::find(augmentations.begin(), augmentations.end(), augmentation) != augmentations.end())
        throw UsageError(str(key_text(key), " lists augmentation ",
                             quoted(perspective_augmentation_name(augmentation)), " twice"));
      augmentations.push_back(augmentation);
    }
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return augmentations;
}

std::string perspective_augmentation_name(PerspectiveAugmentation augmentation) {
  for (const auto& [value, name] : kNames) {
    if (value == augmentation) return name;
  }
  throw UsageError(str("unknown perspective augmentation ", static_cast<int>(augmentation)));
}

std::string perspective_augmentation_list(const std::vector<PerspectiveAugmentation>& augmentations) {
  if (augmentations.empty()) return "none";
  std::vector<std::string> names;
  for (const auto augmentation : augmentations) names.push_back(perspective_augmentation_name(augmentation));
  return join(names, ",");
}

bool is_spatial(PerspectiveAugmentation augmentation) {
  return augmentation == PerspectiveAugmentation::Transpose ||
         augmentation == PerspectiveAugmentation::FlipX || augmentation == PerspectiveAugmentation::FlipY;
}

void PerspectiveOptions::validate() const {
  if (!(dropout >= 0.0 && dropout < 1.0))
    throw UsageError(str("perspective dropout must lie in [0, 1), got ", dropout));
  if (!(noise_std >= 0.0)) throw UsageError(str("perspective noise std must be >= 0, got ", noise_std));
}

at::Tensor augment_volume(const at::Tensor& volume, PerspectiveAugmentation augmentation,
                          const PerspectiveOptions& options) {
  options.validate();
  require_spatial_rank(volume, "augment_volume");
  const int64_t x = x_axis(volume);
  switch (augmentation) {
    case PerspectiveAugmentation::Dropout:
      return dropout(volume, options.dropout);
    case PerspectiveAugmentation::Noise:
      return gaussian_noise(volume, options.noise_std);
    case PerspectiveAugmentation::Transpose:
      require_square(volume, "augment_volume");
      // contiguous: the decoder's convolutions run faster on a dense copy.
      return volume.transpose(x, x + 1).contiguous();
    case PerspectiveAugmentation::FlipX:
      return volume.flip({x});
    case PerspectiveAugmentation::FlipY:
      return volume.flip({x + 1});
  }
  throw UsageError(str("unknown perspective augmentation ", static_cast<int>(augmentation)));
}

at::Tensor undo_augmentation(const at::Tensor& output, PerspectiveAugmentation augmentation) {
  if (!is_spatial(augmentation)) return output;
  require_spatial_rank(output, "undo_augmentation");
  const int64_t x = x_axis(output);
  // Each spatial augmentation is its own inverse.
  switch (augmentation) {
    case PerspectiveAugmentation::Transpose:
      require_square(output, "undo_augmentation");
      return output.transpose(x, x + 1).contiguous();
    case PerspectiveAugmentation::FlipX:
      return output.flip({x});
    case PerspectiveAugmentation::FlipY:
      return output.flip({x + 1});
    default:
      return output;
  }
}

}  // namespace occ::models
