#pragma once
// ProtoOcc (Oh et al., 2025) Sec. 3.2.1, first step: cluster one image's
// feature map into M 2D prototypes P_img. The paper only says "split into a
// regular grid, average each cell, then iteratively update by multiplying the
// soft pixel-prototype similarity with the feature map"; the iteration
// follows SSN (Jampani et al., "Superpixel Sampling Networks", ECCV 2018):
// each pixel compares itself only with the prototypes of the cells around its
// own cell, softmax of cosine / temperature over those, then every prototype
// becomes the weighted mean of the pixels that chose it.
#include <ATen/ATen.h>

#include <cstdint>

namespace occ::models {

struct PrototypeGroupingOptions {
  int64_t ratio = 4;         // r: initial cells of r x r feature pixels (M = ceil(h/r) * ceil(w/r))
  int64_t iterations = 3;    // T soft-assignment / update rounds (CHOSEN 3)
  double temperature = 0.1;  // softmax(cos / temperature) (CHOSEN 0.1)
  int64_t neighbourhood =
      1;  // a pixel only considers prototypes of cells within this many cells (1: 3x3; CHOSEN SSN)

  // Throws UsageError naming the option for ratio < 1, iterations < 0,
  // temperature <= 0 or neighbourhood < 0.
  void validate() const;
};

struct PrototypeGrouping {
  at::Tensor prototypes;  // [BN, M, d]
  at::Tensor
      assignment;  // [BN, h, w] int64: index of the prototype with the largest soft weight (for pictures)
  int64_t grid_height = 0, grid_width = 0;  // M = grid_height * grid_width
};

// ceil(h/r) * ceil(w/r) for an h x w feature map: 350 for 56x100 at r = 4
// (the stride-8 map of a 448x800 image), 91 at r = 8. Throws UsageError for
// non-positive arguments.
int64_t prototype_count(int64_t height, int64_t width, int64_t ratio);

// features [BN, d, h, w] (differentiable w.r.t. features). Init: average of
// each r x r cell (a last partial cell averages its own pixels only). Cell
// (gy, gx) is prototype gy * grid_width + gx. The assignment uses the final
// prototypes (with T = 0: the cell averages) and carries no gradient.
PrototypeGrouping group_prototypes(const at::Tensor& features, const PrototypeGroupingOptions& options);

}  // namespace occ::models
