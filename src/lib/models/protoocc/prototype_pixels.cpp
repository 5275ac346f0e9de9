#include "models/protoocc/prototype_pixels.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"

namespace occ::models {
namespace {

std::string shape_text(const at::Tensor& tensor) {
  if (!tensor.defined()) return "undefined";
  std::string text = "[";
  for (int64_t i = 0; i < tensor.dim(); ++i) text += (i ? ", " : "") + std::to_string(tensor.size(i));
  return text + "]";
}

void check_trace(const SpatialCrossAttentionTrace& trace, const CameraHits& hits) {
  const at::Tensor& locations = trace.sampling_locations;
  const at::Tensor& weights = trace.attention_weights;
  const int64_t rows = hits.batch * hits.cameras;
  const bool ok = locations.defined() && weights.defined() && hits.valid.defined() && locations.dim() == 6 &&
                  locations.size(-1) == 2 && weights.dim() == 5 &&
                  locations.sizes().slice(0, 5) == weights.sizes() && hits.valid.dim() == 2 &&
                  weights.size(0) == rows && hits.valid.size(0) == rows &&
                  weights.size(1) == hits.valid.size(1);
  if (!ok)
    throw UsageError(
        "prototype pixels: expected a trace with sampling locations [BN, L, heads, levels, points, 2] "
        "and attention weights [BN, L, heads, levels, points] for hits of " +
        std::to_string(rows) + " images, got " + shape_text(locations) + " and " + shape_text(weights) +
        " with valid " + shape_text(hits.valid));
}

}  // namespace

void PrototypePixelsOptions::validate() const {
  if (splat_block_elements < 1)
    throw UsageError("prototype pixels: splat_block_elements must be >= 1, got " +
                     std::to_string(splat_block_elements));
}

at::Tensor splat_attention_map(const SpatialCrossAttentionTrace& trace, const CameraHits& hits,
                               int64_t grid_height, int64_t grid_width, int64_t block_elements) {
  check_trace(trace, hits);
  if (grid_height < 1 || grid_width < 1)
    throw UsageError("prototype pixels: bad grid " + std::to_string(grid_height) + "x" +
                     std::to_string(grid_width));
  at::NoGradGuard no_grad;
  const int64_t cells = grid_height * grid_width;
  const int64_t rows = trace.attention_weights.size(0) * trace.attention_weights.size(1);
  const at::Tensor locations = trace.sampling_locations.reshape({rows, -1, 2});
  const at::Tensor weights =
      trace.attention_weights.reshape({rows, -1}) * hits.valid.reshape({rows, 1}).to(locations.scalar_type());
  const int64_t samples = weights.size(1);

  // Each sample's four bilinear corners are merged per query in a dense
  // [block, cells] scratch block (queries looking at the same cell many
  // times become one entry), then only the non-zero entries are kept.
  const int64_t block = std::max<int64_t>(1, block_elements / cells);
  std::vector<at::Tensor> row_parts, column_parts, value_parts;
  for (int64_t start = 0; start < rows; start += block) {
    const int64_t count = std::min(block, rows - start);
    const at::Tensor location = locations.slice(0, start, start + count);
    const at::Tensor weight = weights.slice(0, start, start + count);
    // Continuous cell coordinates: cell j's centre is at (j + 0.5) / width.
    const at::Tensor u = location.select(-1, 0) * static_cast<double>(grid_width) - 0.5;
    const at::Tensor v = location.select(-1, 1) * static_cast<double>(grid_height) - 0.5;
    const at::Tensor u0 = u.floor(), v0 = v.floor();
    const at::Tensor fu = u - u0, fv = v - v0;
    const at::Tensor first = at::arange(count, at::TensorOptions(at::kLong).device(weight.device()))
                                 .mul(cells)
                                 .unsqueeze(1)
                                 .expand({count, samples});
    at::Tensor scratch = at::zeros({count * cells}, weight.options());
    for (int64_t dv = 0; dv <= 1; ++dv) {
      for (int64_t du = 0; du <= 1; ++du) {
        const at::Tensor column = u0 + static_cast<double>(du), row = v0 + static_cast<double>(dv);
        const at::Tensor inside = (column >= 0) & (column < grid_width) & (row >= 0) & (row < grid_height);
        const at::Tensor corner_weight =
            weight * (du ? fu : 1.0 - fu) * (dv ? fv : 1.0 - fv) * inside.to(weight.scalar_type());
        const at::Tensor cell = row.clamp(0, grid_height - 1).to(at::kLong) * grid_width +
                                column.clamp(0, grid_width - 1).to(at::kLong);
        scratch.index_add_(0, (first + cell).flatten(), corner_weight.flatten());
      }
    }
    at::Tensor map = scratch.view({count, cells});
    map = map / map.sum(1, /*keepdim=*/true).clamp_min(1e-30);  // rows sum to 1; empty rows stay 0
    const at::Tensor flat = map.flatten();
    const at::Tensor nonzero = flat.nonzero().squeeze(1);
    row_parts.push_back(nonzero.div(cells, /*rounding_mode=*/"floor") + start);
    column_parts.push_back(nonzero.remainder(cells));
    value_parts.push_back(flat.index_select(0, nonzero));
  }
  // Entries come out ordered by (row, column) without duplicates: coalesced.
  return at::sparse_coo_tensor(at::stack({at::cat(row_parts), at::cat(column_parts)}), at::cat(value_parts),
                               {rows, cells}, weights.options().layout(at::kSparse))
      ._coalesced_(true);
}

PrototypePixelsImpl::PrototypePixelsImpl(const PrototypePixelsOptions& options) : options_(options) {
  options_.validate();
  affinity_scale = register_parameter("affinity_scale", at::full({1}, options_.affinity_scale));
}

at::Tensor PrototypePixelsImpl::forward(const SpatialCrossAttentionTrace& trace, const CameraHits& hits,
                                        const PrototypeMappingOutput& mapping, int64_t grid_height,
                                        int64_t grid_width) {
  check_trace(trace, hits);
  const at::Tensor& affinity = mapping.affinity;
  const at::Tensor& prototypes = mapping.voxel_prototypes;
  const int64_t images = hits.valid.size(0), length = hits.valid.size(1);
  if (!affinity.defined() || !prototypes.defined() || affinity.dim() != 3 || prototypes.dim() != 3 ||
      affinity.size(0) != images || affinity.size(2) != length || prototypes.size(0) != images ||
      prototypes.size(1) != affinity.size(1))
    throw UsageError("prototype pixels: expected affinity [" + std::to_string(images) + ", M, " +
                     std::to_string(length) + "] and voxel prototypes [" + std::to_string(images) +
                     ", M, d], got " + shape_text(affinity) + " and " + shape_text(prototypes));
  const int64_t dims = prototypes.size(2), cells = grid_height * grid_width;

  // H(A): each query's distribution over the prototypes, then its vector
  // H(A)^T . P_vox [BN, L, d] -- formed before the splat, so the splat costs
  // nnz(G) * d instead of L * h'w' * d.
  const at::Tensor distribution = at::softmax(affinity * affinity_scale, /*dim=*/1);
  const at::Tensor per_query =
      at::bmm(distribution.transpose(1, 2), prototypes).reshape({images * length, dims});

  // X = G^T . per_query for all images at once: G^T is block diagonal,
  // cell (b, c) -> row b * cells + c, query (b, l) -> column b * L + l.
  const at::Tensor map =
      splat_attention_map(trace, hits, grid_height, grid_width, options_.splat_block_elements);
  const at::Tensor query_row = map._indices()[0];
  const at::Tensor cell_row = query_row.div(length, /*rounding_mode=*/"floor") * cells + map._indices()[1];
  const at::Tensor transposed =
      at::sparse_coo_tensor(at::stack({cell_row, query_row}), map._values(),
                            {images * cells, images * length}, map._values().options().layout(at::kSparse));
  const at::Tensor pixels = at::mm(transposed, per_query);  // [BN * cells, d]
  return pixels.view({images, grid_height, grid_width, dims}).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace occ::models
