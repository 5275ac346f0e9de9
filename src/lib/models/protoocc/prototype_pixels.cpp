#include "models/protoocc/prototype_pixels.h"

#include "nn/shape_text.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "models/protoocc/sparse_splat.h"

namespace occ::models {
namespace {

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
        std::to_string(rows) + " images, got " + nn::shape_text(locations) + " and " +
        nn::shape_text(weights) + " with valid " + nn::shape_text(hits.valid));
}

}  // namespace

at::Tensor splat_attention_map(const SpatialCrossAttentionTrace& trace, const CameraHits& hits,
                               int64_t grid_height, int64_t grid_width, int64_t chunk_rows) {
  check_trace(trace, hits);
  if (chunk_rows < 1)
    throw UsageError("prototype pixels: chunk_rows must be >= 1, got " + std::to_string(chunk_rows));
  if (grid_height < 1 || grid_width < 1)
    throw UsageError("prototype pixels: bad grid " + std::to_string(grid_height) + "x" +
                     std::to_string(grid_width));
  at::NoGradGuard no_grad;
  const int64_t cells = grid_height * grid_width;
  const int64_t rows = trace.attention_weights.size(0) * trace.attention_weights.size(1);
  // A plain loop on the CPU: the map carries no gradient, and merging each
  // query's samples in a per-thread accumulator row costs O(samples) per
  // query (a tensor formulation needs a sort or a [queries, cells] scratch).
  const at::Tensor locations =
      trace.sampling_locations.reshape({rows, -1, 2}).to(at::kCPU, at::kFloat).contiguous();
  const at::Tensor weights =
      trace.attention_weights.reshape({rows, -1}).to(at::kCPU, at::kFloat).contiguous();
  const at::Tensor valid = hits.valid.reshape({rows}).to(at::kCPU, at::kBool).contiguous();
  const int64_t samples = weights.size(1);
  const float* location_data = locations.data_ptr<float>();
  const float* weight_data = weights.data_ptr<float>();
  const bool* valid_data = valid.data_ptr<bool>();

  // Fixed chunks of rows, each filled by one task, keep the output order
  // (and so the result) independent of the thread count.
  struct Entries {
    std::vector<int64_t> row, column;
    std::vector<float> value;
  };
  const int64_t chunks = (rows + chunk_rows - 1) / chunk_rows;
  std::vector<Entries> parts(static_cast<size_t>(chunks));
  at::parallel_for(0, chunks, 1, [&](int64_t chunk_begin, int64_t chunk_end) {
    std::vector<float> accumulator(static_cast<size_t>(cells), 0.0f);
    std::vector<uint8_t> touched_flag(static_cast<size_t>(cells), 0);
    std::vector<int64_t> touched;
    for (int64_t chunk = chunk_begin; chunk < chunk_end; ++chunk) {
      Entries& out = parts[static_cast<size_t>(chunk)];
      for (int64_t row = chunk * chunk_rows; row < std::min(rows, (chunk + 1) * chunk_rows); ++row) {
        if (!valid_data[row]) continue;
        touched.clear();
        for (int64_t s = 0; s < samples; ++s) {
          const float weight = weight_data[row * samples + s];
          if (!(weight > 0)) continue;
          // Continuous cell coordinates: cell j's centre is at (j + 0.5) / width.
          const float* xy = location_data + (row * samples + s) * 2;
          const float u = xy[0] * static_cast<float>(grid_width) - 0.5f;
          const float v = xy[1] * static_cast<float>(grid_height) - 0.5f;
          const float u0 = std::floor(u), v0 = std::floor(v);
          const float fu = u - u0, fv = v - v0;
          for (int dv = 0; dv <= 1; ++dv) {
            for (int du = 0; du <= 1; ++du) {
              const int64_t column = static_cast<int64_t>(u0) + du, cell_row = static_cast<int64_t>(v0) + dv;
              if (column < 0 || column >= grid_width || cell_row < 0 || cell_row >= grid_height) continue;
              const float corner = weight * (du ? fu : 1.0f - fu) * (dv ? fv : 1.0f - fv);
              if (!(corner > 0)) continue;
              const int64_t cell = cell_row * grid_width + column;
              if (!touched_flag[static_cast<size_t>(cell)]) {
                touched_flag[static_cast<size_t>(cell)] = 1;
                touched.push_back(cell);
              }
              accumulator[static_cast<size_t>(cell)] += corner;
            }
          }
        }
        std::sort(touched.begin(), touched.end());
        double total = 0;
        for (const int64_t cell : touched) total += accumulator[static_cast<size_t>(cell)];
        // Rows sum to 1 (CHOSEN, protoocc.md); a row with no weight has no entry.
        for (const int64_t cell : touched) {
          out.row.push_back(row);
          out.column.push_back(cell);
          out.value.push_back(static_cast<float>(accumulator[static_cast<size_t>(cell)] / total));
          accumulator[static_cast<size_t>(cell)] = 0.0f;
          touched_flag[static_cast<size_t>(cell)] = 0;
        }
      }
    }
  });

  size_t entries = 0;
  for (const Entries& part : parts) entries += part.value.size();
  at::Tensor indices = at::empty({2, static_cast<int64_t>(entries)}, at::kLong);
  at::Tensor values = at::empty({static_cast<int64_t>(entries)}, at::kFloat);
  int64_t* row_out = indices.data_ptr<int64_t>();
  int64_t* column_out = row_out + entries;
  float* value_out = values.data_ptr<float>();
  for (const Entries& part : parts) {
    std::copy(part.row.begin(), part.row.end(), row_out);
    std::copy(part.column.begin(), part.column.end(), column_out);
    std::copy(part.value.begin(), part.value.end(), value_out);
    row_out += part.row.size();
    column_out += part.column.size();
    value_out += part.value.size();
  }
  // Entries come out ordered by (row, column) without duplicates: coalesced.
  const at::TensorOptions options = trace.attention_weights.options();
  return at::sparse_coo_tensor(indices.to(options.device()), values.to(options), {rows, cells},
                               options.layout(at::kSparse))
      ._coalesced_(true);
}

at::Tensor attention_map_with_gradient(const SpatialCrossAttentionTrace& trace, const CameraHits& hits,
                                       int64_t grid_height, int64_t grid_width) {
  check_trace(trace, hits);
  if (grid_height < 1 || grid_width < 1)
    throw UsageError("prototype pixels: bad grid " + std::to_string(grid_height) + "x" +
                     std::to_string(grid_width));
  const int64_t images = trace.attention_weights.size(0), length = trace.attention_weights.size(1);
  const at::Tensor locations = trace.sampling_locations.reshape({images, length, -1, 2});
  const at::Tensor weights = trace.attention_weights.reshape({images, length, -1});
  // The same bilinear splat as splat_attention_map: cell j's centre at
  // (j + 0.5) / width, corners outside the grid dropped.
  const at::Tensor u = locations.select(-1, 0) * static_cast<double>(grid_width) - 0.5;
  const at::Tensor v = locations.select(-1, 1) * static_cast<double>(grid_height) - 0.5;
  const at::Tensor u0 = u.detach().floor(), v0 = v.detach().floor();
  const at::Tensor fu = u - u0, fv = v - v0;
  at::Tensor map = at::zeros({images, length, grid_height * grid_width}, weights.options());
  for (int dv = 0; dv <= 1; ++dv) {
    for (int du = 0; du <= 1; ++du) {
      const at::Tensor column = u0 + du, row = v0 + dv;
      const at::Tensor inside = (column >= 0) & (column < grid_width) & (row >= 0) & (row < grid_height);
      const at::Tensor corner =
          weights * (du ? fu : 1.0 - fu) * (dv ? fv : 1.0 - fv) * inside.to(weights.scalar_type());
      const at::Tensor cell = at::where(inside, row * grid_width + column, at::zeros_like(row)).to(at::kLong);
      map = map.scatter_add(2, cell, corner);
    }
  }
  // Rows sum to 1 (as the sparse map); padding rows and rows without weight are 0.
  const at::Tensor total = map.sum(2, /*keepdim=*/true);
  const at::Tensor keep = hits.valid.unsqueeze(-1) & (total > 0);
  return at::where(keep, map / total.clamp_min(1e-12), at::zeros_like(map));
}

PrototypePixelsImpl::PrototypePixelsImpl(const PrototypePixelsOptions& options) : options_(options) {
  if (options_.affinity_map == AffinityMap::softmax) {
    affinity_scale = register_parameter("affinity_scale", at::full({1}, options_.affinity_scale));
  } else {
    map_weight = register_parameter("map_weight", at::ones({1}));
    map_bias = register_parameter("map_bias", at::zeros({1}));
  }
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
                     ", M, d], got " + nn::shape_text(affinity) + " and " + nn::shape_text(prototypes));
  const int64_t dims = prototypes.size(2);

  // H(A): each query's weights over the prototypes, then its vector
  // H(A)^T . P_vox [BN, L, d] -- formed before the splat, so the sparse
  // splat costs nnz(G) * d instead of L * h'w' * d.
  const at::Tensor mapped = options_.affinity_map == AffinityMap::softmax
                                ? at::softmax(affinity * affinity_scale, /*dim=*/1)
                                : map_weight * affinity + map_bias;
  const at::Tensor per_query = at::bmm(mapped.transpose(1, 2), prototypes);  // [BN, L, d]

  // X = G^T . per_query, image by image.
  at::Tensor pixels, mass;
  const bool wants_mass = options_.normalise_cells || options_.centre_cells;
  if (options_.attention_gradient) {
    const at::Tensor map = attention_map_with_gradient(trace, hits, grid_height, grid_width);
    pixels = at::bmm(map.transpose(1, 2), per_query);  // [BN, cells, d]
    if (wants_mass) mass = map.sum(1).unsqueeze(-1);
  } else {
    const at::Tensor map = splat_attention_map(trace, hits, grid_height, grid_width);
    pixels = splat_rows_per_image(map, per_query.reshape({images * length, dims}), images)
                 .view({images, -1, dims});  // [BN, cells, d]
    if (wants_mass)
      mass = splat_rows_per_image(map, at::ones({images * length, 1}, per_query.options()), images)
                 .view({images, -1, 1});
  }
  if (wants_mass) {
    const at::Tensor looked_at = (mass > 0).to(pixels.scalar_type());
    if (options_.normalise_cells) pixels = pixels / mass.clamp_min(1e-12);
    if (options_.centre_cells) {
      const at::Tensor mean =
          (pixels * looked_at).sum(1, /*keepdim=*/true) / looked_at.sum(1, /*keepdim=*/true).clamp_min(1.0);
      pixels = (pixels - mean) * looked_at;
    }
  }
  return pixels.view({images, grid_height, grid_width, dims}).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace occ::models
