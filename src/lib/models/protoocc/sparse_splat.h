#pragma once
// X = G^T . rows for ProtoOcc's Eq. 2, image by image: G is a fixed sparse
// map from each image's queries to that image's grid cells. LibTorch's CPU
// sparse-dense product is serial and its backward transposes and re-sorts
// the map; here the forward runs one task per image (streaming its query
// rows, scattering into its own cells) and the backward one task per query
// row, both in a fixed order, so the result is deterministic.
#include <ATen/ATen.h>

#include <cstdint>

namespace occ::models {

// map: coalesced sparse COO [images * L, cells] (no gradient), row b * L + l
// = query l of image b, column = a cell of image b; rows [images * L, d]
// floating. Returns [images * cells, d]:
//   out[b * cells + c] = sum_l map[b * L + l, c] * rows[b * L + l]
// with the gradient w.r.t. rows. Tensors off the CPU take at::mm on a
// block-diagonal transposed map.
at::Tensor splat_rows_per_image(const at::Tensor& map, const at::Tensor& rows, int64_t images);

}  // namespace occ::models
