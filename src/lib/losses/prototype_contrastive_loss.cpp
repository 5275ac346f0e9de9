#include "losses/prototype_contrastive_loss.h"

#include <cmath>
#include <string>

#include "core/error.h"
#include "losses/loss_input_checks.h"

namespace occ::losses {
namespace {

constexpr double kNormEps = 1e-12;

at::Tensor unit_rows(const at::Tensor& x) {
  return x / x.norm(2, {-1}, /*keepdim=*/true).clamp_min(kNormEps);
}

// Source index of each of `out` cells for a nearest resize from `in`, pixel
// centres aligned: floor((i + 0.5) * in / out), in integers. The loader
// resizes the masks to the network input the same way
// (train::resize_labels_nearest).
at::Tensor nearest_source(int64_t in, int64_t out, const at::Device& device) {
  return at::arange(out, at::TensorOptions(at::kLong).device(device))
      .mul(2)
      .add(1)
      .mul(in)
      .div(2 * out, /*rounding_mode=*/"floor")
      .clamp_max(in - 1);
}

}  // namespace

at::Tensor resize_masks_nearest(const at::Tensor& masks, int64_t height, int64_t width) {
  if (!masks.defined() || masks.dim() != 3 || masks.scalar_type() != at::kLong || masks.size(1) < 1 ||
      masks.size(2) < 1)
    throw UsageError("resize_masks_nearest: masks must be int64 [BN, H, W], got " +
                     detail::shape_text(masks));
  if (height < 1 || width < 1)
    throw UsageError("resize_masks_nearest: bad size " + std::to_string(height) + "x" +
                     std::to_string(width));
  return masks.index_select(1, nearest_source(masks.size(1), height, masks.device()))
      .index_select(2, nearest_source(masks.size(2), width, masks.device()));
}

at::Tensor prototype_contrastive_loss(const at::Tensor& pixel_features, const at::Tensor& masks,
                                      double temperature, bool sum) {
  if (!pixel_features.defined() || !masks.defined() || pixel_features.dim() != 4 || masks.dim() != 3 ||
      masks.scalar_type() != at::kLong || pixel_features.size(0) != masks.size(0) ||
      pixel_features.size(2) != masks.size(1) || pixel_features.size(3) != masks.size(2))
    throw UsageError("prototype contrastive loss: expected X [BN, d, h, w] and int64 masks [BN, h, w], got " +
                     detail::shape_text(pixel_features) + " and " + detail::shape_text(masks));
  if (!(temperature > 0))
    throw UsageError("prototype contrastive loss: temperature must be > 0, got " +
                     std::to_string(temperature));
  if (masks.numel() == 0) return pixel_features.sum() * 0.0;
  if (masks.min().item<int64_t>() < 0) throw UsageError("prototype contrastive loss: mask ids must be >= 0");
  const int64_t images = pixel_features.size(0), dims = pixel_features.size(1);
  const int64_t cells = masks.size(1) * masks.size(2);
  const int64_t segments = masks.max().item<int64_t>() + 1;

  // Centroids of every image's masks as one index_add over (image, id).
  const at::Tensor features = pixel_features.flatten(2).transpose(1, 2);  // [BN, cells, d]
  const at::Tensor image_offset = at::arange(images, masks.options()).mul(segments).unsqueeze(1);  // [BN, 1]
  const at::Tensor segment = masks.reshape({images, cells});
  const at::Tensor key = (segment + image_offset).flatten();
  const at::Tensor totals = at::zeros({images * segments, dims}, features.options())
                                .index_add(0, key, features.reshape({images * cells, dims}));
  const at::Tensor counts = at::zeros({images * segments}, features.options())
                                .index_add(0, key, at::ones_like(key, features.options()));
  const at::Tensor centroids = (totals / counts.clamp_min(1.0).unsqueeze(1)).view({images, segments, dims});
  const at::Tensor present = counts.view({images, 1, segments}) > 0;

  // [BN, cells, S] cosine logits; ids absent from an image are no candidate.
  const at::Tensor logits = at::bmm(unit_rows(features), unit_rows(centroids).transpose(1, 2)) / temperature;
  const at::Tensor log_probability =
      at::log_softmax(logits.masked_fill(present.logical_not(), -INFINITY), /*dim=*/2);
  const at::Tensor per_cell = -log_probability.gather(2, segment.unsqueeze(2)).squeeze(2);
  return sum ? per_cell.sum() : per_cell.mean();
}

}  // namespace occ::losses
