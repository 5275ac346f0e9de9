#include "models/protoocc/prototype_grouping.h"

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"

namespace occ::models {
namespace {

// F.normalize's eps: a zero vector stays zero instead of becoming NaN.
constexpr double kNormEps = 1e-12;

at::Tensor unit_rows(const at::Tensor& x) {
  return x / x.norm(2, {-1}, /*keepdim=*/true).clamp_min(kNormEps);
}

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// For every cell, the cells whose prototypes its pixels may join: all cells
// within `reach` rows and columns (SSN's 3x3 for reach 1), in a fixed order
// of offsets. Cells beyond the border are replaced by the cell itself and
// flagged invalid, so every row has the same length K = (2 reach + 1)^2.
struct Candidates {
  at::Tensor index;  // [M, K] int64
  at::Tensor valid;  // [M, K] bool
};
Candidates neighbouring_cells(int64_t grid_height, int64_t grid_width, int64_t reach) {
  const int64_t side = 2 * reach + 1, count = grid_height * grid_width;
  std::vector<int64_t> index(static_cast<size_t>(count * side * side));
  std::vector<uint8_t> valid(index.size());
  size_t k = 0;
  for (int64_t gy = 0; gy < grid_height; ++gy)
    for (int64_t gx = 0; gx < grid_width; ++gx)
      for (int64_t dy = -reach; dy <= reach; ++dy)
        for (int64_t dx = -reach; dx <= reach; ++dx, ++k) {
          const int64_t y = gy + dy, x = gx + dx;
          const bool inside = y >= 0 && y < grid_height && x >= 0 && x < grid_width;
          index[k] = inside ? y * grid_width + x : gy * grid_width + gx;
          valid[k] = inside ? 1 : 0;
        }
  return {at::tensor(index, at::kLong).view({count, side * side}),
          at::tensor(valid, at::kByte).view({count, side * side}).to(at::kBool)};
}

// Soft weights of every pixel over its candidate prototypes:
// softmax over K of cos(pixel, prototype) / temperature, [BN, M, r*r, K].
at::Tensor soft_assignment(const at::Tensor& unit_pixels, const at::Tensor& prototypes,
                           const Candidates& candidates, double temperature) {
  const int64_t rows = prototypes.size(0), count = prototypes.size(1), dims = prototypes.size(2);
  const int64_t k = candidates.index.size(1);
  const at::Tensor candidate_prototypes =
      unit_rows(prototypes).index_select(1, candidates.index.flatten()).view({rows, count, k, dims});
  const at::Tensor cosine = at::matmul(unit_pixels, candidate_prototypes.transpose(-1, -2));
  const at::Tensor outside = candidates.valid.logical_not().view({1, count, 1, k});
  return at::softmax((cosine / temperature).masked_fill(outside, -INFINITY), -1);
}

}  // namespace

void PrototypeGroupingOptions::validate() const {
  if (ratio < 1) throw UsageError("prototype grouping: ratio must be >= 1, got " + std::to_string(ratio));
  if (iterations < 0)
    throw UsageError("prototype grouping: iterations must be >= 0, got " + std::to_string(iterations));
  if (!(temperature > 0))
    throw UsageError("prototype grouping: temperature must be > 0, got " + std::to_string(temperature));
  if (neighbourhood < 0)
    throw UsageError("prototype grouping: neighbourhood must be >= 0, got " + std::to_string(neighbourhood));
}

int64_t prototype_count(int64_t height, int64_t width, int64_t ratio) {
  if (height < 1 || width < 1 || ratio < 1)
    throw UsageError("prototype_count: bad ratio " + std::to_string(ratio) + " for a " +
                     std::to_string(height) + "x" + std::to_string(width) + " feature map");
  return ceil_div(height, ratio) * ceil_div(width, ratio);
}

PrototypeGrouping group_prototypes(const at::Tensor& features, const PrototypeGroupingOptions& options) {
  options.validate();
  if (features.dim() != 4 || features.size(2) < 1 || features.size(3) < 1)
    throw UsageError("prototype grouping: features must be [BN, d, h, w], got " +
                     std::to_string(features.dim()) + " dimensions");
  const int64_t rows = features.size(0), dims = features.size(1);
  const int64_t height = features.size(2), width = features.size(3), r = options.ratio;
  PrototypeGrouping result;
  result.grid_height = ceil_div(height, r);
  result.grid_width = ceil_div(width, r);
  const int64_t gh = result.grid_height, gw = result.grid_width, count = gh * gw;

  // Pixels regrouped by cell, [BN, M, r*r, d]: zero padding fills the last
  // partial cells, and `inside` keeps it out of every mean. Every pixel of a
  // cell has the same candidate prototypes, so the assignment is one small
  // batched matmul per cell instead of an [h*w, M] similarity.
  const at::Tensor padded = at::constant_pad_nd(features, {0, gw * r - width, 0, gh * r - height}, 0.0);
  const at::Tensor cells = padded.reshape({rows, dims, gh, r, gw, r})
                               .permute({0, 2, 4, 3, 5, 1})
                               .reshape({rows, count, r * r, dims});
  const at::Tensor inside = at::constant_pad_nd(at::ones({height, width}, features.options()),
                                                {0, gw * r - width, 0, gh * r - height}, 0.0)
                                .view({gh, r, gw, r})
                                .permute({0, 2, 1, 3})
                                .reshape({1, count, r * r, 1});

  at::Tensor prototypes = cells.sum(2) / inside.sum(2);
  const Candidates candidates = neighbouring_cells(gh, gw, options.neighbourhood);
  const at::Tensor candidate_index = candidates.index.to(features.device());
  const Candidates on_device{candidate_index, candidates.valid.to(features.device())};
  const at::Tensor unit_pixels = unit_rows(cells);
  const int64_t k = candidate_index.size(1);
  for (int64_t t = 0; t < options.iterations; ++t) {
    const at::Tensor weights =
        soft_assignment(unit_pixels, prototypes, on_device, options.temperature) * inside;
    // Weighted sums per (cell, candidate), then added into the candidate's
    // prototype: SSN's update, a weighted mean of the raw pixel features.
    const at::Tensor sums = at::matmul(weights.transpose(-1, -2), cells).reshape({rows, count * k, dims});
    const at::Tensor mass = weights.sum(2).reshape({rows, count * k});
    const at::Tensor flat_index = candidate_index.flatten();
    const at::Tensor numerator =
        at::zeros({rows, count, dims}, features.options()).index_add(1, flat_index, sums);
    const at::Tensor denominator =
        at::zeros({rows, count}, features.options()).index_add(1, flat_index, mass);
    // A prototype always keeps some weight from its own cell's pixels
    // (softmax weights are positive); the clamp only guards underflow.
    prototypes = numerator / denominator.clamp_min(1e-12).unsqueeze(-1);
  }
  result.prototypes = prototypes;

  {
    at::NoGradGuard no_grad;
    const at::Tensor best =
        soft_assignment(unit_pixels, prototypes, on_device, options.temperature).argmax(-1);
    const at::Tensor chosen = candidate_index.unsqueeze(0).expand({rows, count, k}).gather(2, best);
    result.assignment = chosen.view({rows, gh, gw, r, r})
                            .permute({0, 1, 3, 2, 4})
                            .reshape({rows, gh * r, gw * r})
                            .slice(1, 0, height)
                            .slice(2, 0, width)
                            .contiguous();
  }
  return result;
}

}  // namespace occ::models
