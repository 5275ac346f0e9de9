#include "models/protoocc/sparse_splat.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <string>
#include <vector>

#include "core/error.h"

namespace occ::models {
namespace {

// The map's entries in its (row-major) order, with the start of every row.
struct MapRows {
  int64_t images = 0, length = 0, cells = 0;  // rows = images * length
  at::Tensor offsets;                         // [rows + 1] int64
  at::Tensor column;                          // [nnz] int64
  at::Tensor value;                           // [nnz]
};

MapRows map_rows(const at::Tensor& map, int64_t images) {
  MapRows rows;
  rows.images = images;
  rows.length = map.size(0) / images;
  rows.cells = map.size(1);
  const at::Tensor row = map._indices()[0].contiguous();
  rows.column = map._indices()[1].contiguous();
  rows.value = map._values().contiguous();
  const int64_t* row_data = row.data_ptr<int64_t>();
  std::vector<int64_t> offsets(static_cast<size_t>(map.size(0) + 1), 0);
  for (int64_t e = 0; e < row.numel(); ++e) ++offsets[static_cast<size_t>(row_data[e] + 1)];
  for (size_t r = 1; r < offsets.size(); ++r) offsets[r] += offsets[r - 1];
  rows.offsets = at::tensor(offsets, at::kLong);
  return rows;
}

// out[b * cells + c] += value * in[b * L + l], one task per image.
at::Tensor scatter_forward(const MapRows& map, const at::Tensor& input_in) {
  const at::Tensor input = input_in.contiguous();
  const int64_t dims = input.size(1);
  at::Tensor output = at::zeros({map.images * map.cells, dims}, input.options());
  const int64_t* offsets = map.offsets.data_ptr<int64_t>();
  const int64_t* column = map.column.data_ptr<int64_t>();
  AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "splat_rows_forward", [&] {
    const at::Tensor value = map.value.to(input.scalar_type()).contiguous();
    const scalar_t* weight = value.data_ptr<scalar_t>();
    const scalar_t* in = input.data_ptr<scalar_t>();
    scalar_t* out = output.data_ptr<scalar_t>();
    at::parallel_for(0, map.images, 1, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        scalar_t* image_out = out + b * map.cells * dims;
        for (int64_t r = b * map.length; r < (b + 1) * map.length; ++r) {
          const scalar_t* source = in + r * dims;
          for (int64_t e = offsets[r]; e < offsets[r + 1]; ++e) {
            scalar_t* target = image_out + column[e] * dims;
            const scalar_t w = weight[e];
            for (int64_t k = 0; k < dims; ++k) target[k] += w * source[k];
          }
        }
      }
    });
  });
  return output;
}

// grad_in[b * L + l] = sum_c value * grad_out[b * cells + c], one task per row.
at::Tensor gather_backward(const MapRows& map, const at::Tensor& grad_in) {
  const at::Tensor grad = grad_in.contiguous();
  const int64_t dims = grad.size(1), rows = map.images * map.length;
  at::Tensor output = at::zeros({rows, dims}, grad.options());
  const int64_t* offsets = map.offsets.data_ptr<int64_t>();
  const int64_t* column = map.column.data_ptr<int64_t>();
  AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "splat_rows_backward", [&] {
    const at::Tensor value = map.value.to(grad.scalar_type()).contiguous();
    const scalar_t* weight = value.data_ptr<scalar_t>();
    const scalar_t* in = grad.data_ptr<scalar_t>();
    scalar_t* out = output.data_ptr<scalar_t>();
    at::parallel_for(0, rows, 64, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        scalar_t* target = out + r * dims;
        const scalar_t* image_in = in + (r / map.length) * map.cells * dims;
        for (int64_t e = offsets[r]; e < offsets[r + 1]; ++e) {
          const scalar_t* source = image_in + column[e] * dims;
          const scalar_t w = weight[e];
          for (int64_t k = 0; k < dims; ++k) target[k] += w * source[k];
        }
      }
    });
  });
  return output;
}

class SplatRowsFunction : public torch::autograd::Function<SplatRowsFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* context, const at::Tensor& map,
                            const at::Tensor& rows, int64_t images) {
    const MapRows by_row = map_rows(map, images);
    context->saved_data["images"] = images;
    context->saved_data["cells"] = by_row.cells;
    context->saved_data["offsets"] = by_row.offsets;
    context->saved_data["column"] = by_row.column;
    context->saved_data["value"] = by_row.value;
    return scatter_forward(by_row, rows);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list grad_outputs) {
    MapRows by_row;
    by_row.images = context->saved_data["images"].toInt();
    by_row.cells = context->saved_data["cells"].toInt();
    by_row.offsets = context->saved_data["offsets"].toTensor();
    by_row.column = context->saved_data["column"].toTensor();
    by_row.value = context->saved_data["value"].toTensor();
    by_row.length = (by_row.offsets.numel() - 1) / by_row.images;
    return {at::Tensor(), gather_backward(by_row, grad_outputs[0]), at::Tensor()};
  }
};

}  // namespace

at::Tensor splat_rows_per_image(const at::Tensor& map, const at::Tensor& rows, int64_t images) {
  if (!map.defined() || !map.is_sparse() || map.dim() != 2 || !map.is_coalesced() || !rows.defined() ||
      rows.dim() != 2 || rows.size(0) != map.size(0) || images < 1 || map.size(0) % images != 0)
    throw UsageError(
        "splat_rows_per_image: expected a coalesced sparse [images * L, cells] map and dense "
        "[images * L, d] rows");
  if (map.device().is_cpu() && rows.device().is_cpu()) return SplatRowsFunction::apply(map, rows, images);
  const int64_t length = map.size(0) / images, cells = map.size(1);
  const at::Tensor query_row = map._indices()[0];
  const at::Tensor cell_row = query_row.div(length, /*rounding_mode=*/"floor") * cells + map._indices()[1];
  const at::Tensor transposed =
      at::sparse_coo_tensor(at::stack({cell_row, query_row}), map._values(), {images * cells, map.size(0)},
                            map._values().options().layout(at::kSparse));
  return at::mm(transposed, rows);
}

}  // namespace occ::models
