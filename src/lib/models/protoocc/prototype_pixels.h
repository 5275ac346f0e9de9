#pragma once
// ProtoOcc Sec. 3.2.2: prototype-aware pixel features X (Eq. 2). Every hit
// voxel query spreads over the h' x w' prototype grid of its camera where its
// cross-attention looked (G, one row per query), carries a distribution over
// the camera's prototypes (H(A)) and so paints
//   X = G^T . (H(A)^T . P_vox)    [h'w' x d] per camera image,
// each cell a mixture of the voxel prototypes weighted by how much attention
// the queries leaning towards them paid to that cell. The paper writes the
// combination of G [K x D] and H(A) as an element-wise product ("G (.)
// H(A)"); with A [M x K] the only product of the two that gives each of the
// D cells a weight per prototype is, for every query k, G's row k times
// H(A)'s column k, summed over the queries: entry (c, m) = sum_k G[k, c]
// H(A)[m, k], which is the matrix product G^T H(A)^T computed here. The
// per-query vectors H(A)^T . P_vox are formed first; without gradient
// through G, G is a sparse matrix, so no dense [L, h'w'] map is built.
#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "models/protoocc/prototype_mapping.h"
#include "models/spatial_cross_attention.h"

namespace occ::models {

// H of Eq. 2.
enum class AffinityMap {
  // H(a) = w a + b element by element, w (init 1) and b (init 0) learnable:
  // the paper's "linear map", in the one form that does not depend on M
  // (M changes with the image size) -- the "paper" preset.
  linear,
  // softmax over the prototypes of (scale * sigma(A)), scale learnable
  // (init affinity_scale): today's default.
  softmax,
};

struct PrototypePixelsOptions {
  AffinityMap affinity_map = AffinityMap::softmax;
  // false (CHOSEN default): G carries no gradient (a fixed sparse map; the
  // contrastive loss does not move the cross-attention). true (the paper
  // says nothing of stopping it, so the "paper" preset): G is built densely
  // [BN, L, h'w'] from the trace with gradients to the sampling locations
  // (through the bilinear weights) and the attention weights.
  bool attention_gradient = false;
  // softmax map: H(A) = softmax over the prototypes of (scale * sigma(A)).
  // CHOSEN: the paper says only "H is a linear map" and calls the result each
  // cell's probability of each prototype; a Linear over M cannot serve images
  // of different sizes (M varies), so H is the shape-free per-element linear
  // map a -> scale * a (a bias would cancel in the softmax) followed by a
  // softmax over M, making each query's column a probability over
  // prototypes. 10 = 1 / 0.1, the temperature used everywhere else: with
  // sigma(A) in (0.27, 0.73) at initialisation the softmax is neither uniform
  // nor one-hot.
  double affinity_scale = 10.0;
  // Divide each cell by the attention mass it received, so that it holds a
  // probability-weighted mean of the voxel prototypes ("each grid cell's
  // probability of each prototype", Sec. 3.2.2) rather than a sum that grows
  // with how many queries looked at it. Cells no query looked at stay 0.
  bool normalise_cells = false;
  // Subtract each image's mean over the looked-at cells. CHOSEN for
  // ProtoOcc (on in its configuration): measured on the demo model at
  // initialisation, every cell's X pointed the same way (mean pairwise cosine
  // 0.999999, because P_vox's rows are near-identical averages of many
  // queries), so the contrastive loss sat at log S with no gradient; the
  // common component carries no information about which mask a cell is in.
  bool centre_cells = false;
};

// G of Eq. 2 for one cross-attention call: every hit query's sampling
// locations (all heads, levels and points, each level normalised to the same
// image) splatted bilinearly with its attention weights onto a
// grid_height x grid_width grid spanning the image (cell centres at
// ((j + 0.5) / grid_width, (i + 0.5) / grid_height); weights falling outside
// are dropped), then each row normalised to sum 1 (CHOSEN, protoocc.md).
// The even grid is exactly the grouping's cells when r divides the feature
// map (56x100 at r = 4); with partial last cells (r = 8: 7x13 cells over
// 56x100) its borders drift from the grouping's by under r/2 feature pixels.
// Padding rows (hits.valid false) are empty. Returns a coalesced sparse COO
// tensor [BN * L, grid_height * grid_width], row b * L + l, column
// i * grid_width + j. No gradient (CHOSEN: the map only routes the prototype
// features; the contrastive loss does not move the attention). Built on the
// CPU by `chunk_rows` queries per parallel task (the result does not depend
// on it) and moved to the trace's device.
at::Tensor splat_attention_map(const SpatialCrossAttentionTrace& trace, const CameraHits& hits,
                               int64_t grid_height, int64_t grid_width, int64_t chunk_rows = 256);

// The same map as a dense [BN, L, grid_height * grid_width] tensor with
// gradients to trace.sampling_locations and trace.attention_weights (the
// cell each bilinear corner falls in is fixed; its weight is not). Costs BN
// x L x h'w' floats: fine at the demo's 12x22 grid, ~1 GB at ProtoOcc-S.
at::Tensor attention_map_with_gradient(const SpatialCrossAttentionTrace& trace, const CameraHits& hits,
                                       int64_t grid_height, int64_t grid_width);

class PrototypePixelsImpl : public torch::nn::Module {  // holds H (the map of the affinity)
 public:
  explicit PrototypePixelsImpl(const PrototypePixelsOptions& options = {});
  // G: each hit query's cross-attention sampling locations and weights (trace
  // of one layer) splatted bilinearly onto the grid_height x grid_width grid
  // (CHOSEN: rows normalised to sum 1), combined with H(affinity) and P_vox
  // as Eq. 2. Returns X [BN, d, grid_height, grid_width]; cells no query
  // looked at are 0.
  at::Tensor forward(const SpatialCrossAttentionTrace& trace, const CameraHits& hits,
                     const PrototypeMappingOutput& mapping, int64_t grid_height, int64_t grid_width);

  const PrototypePixelsOptions& options() const { return options_; }

  at::Tensor affinity_scale;        // [1], the softmax map's scale (undefined for the linear map)
  at::Tensor map_weight, map_bias;  // [1] each, the linear map's w and b (undefined for softmax)

 private:
  PrototypePixelsOptions options_;
};
TORCH_MODULE(PrototypePixels);

}  // namespace occ::models
