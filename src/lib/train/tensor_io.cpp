#include "train/tensor_io.h"

#include <ATen/ATen.h>

#include <cstring>

#include "core/error.h"
#include "core/strings.h"
#include "h5/dataset.h"

namespace occ::train {
namespace {

h5::DType dtype_of_tensor(const at::Tensor& tensor, const std::string& path) {
  switch (tensor.scalar_type()) {
    case at::kFloat:
      return h5::DType::float32;
    case at::kDouble:
      return h5::DType::float64;
    case at::kLong:
      return h5::DType::int64;
    case at::kByte:
      return h5::DType::uint8;
    default:
      throw FormatError(
          str("cannot store tensor ", quoted(path), " of type ", at::toString(tensor.scalar_type())));
  }
}

at::ScalarType scalar_type_of(h5::DType dtype, const std::string& what) {
  switch (dtype) {
    case h5::DType::float32:
      return at::kFloat;
    case h5::DType::float64:
      return at::kDouble;
    case h5::DType::int64:
      return at::kLong;
    case h5::DType::uint8:
      return at::kByte;
    default:
      throw FormatError(str(what, ": unsupported element type for a tensor"));
  }
}

}  // namespace

void write_tensor(h5::File& file, const std::string& path, const at::Tensor& tensor) {
  const h5::DType dtype = dtype_of_tensor(tensor, path);
  const at::Tensor values = tensor.detach().to(at::kCPU).contiguous();
  const h5::Shape shape(values.sizes().begin(), values.sizes().end());
  // Uncompressed: trained float weights barely compress (ratio ~1.1) and
  // deflate would make every checkpoint of a large model take seconds.
  h5::DatasetOptions options;
  options.compression.kind = h5::Compression::Kind::none;
  options.compression.shuffle = false;
  h5::create_dataset(file, path, dtype, shape, options);
  const int64_t rows = shape.empty() ? 1 : shape[0];
  if (values.numel() > 0) h5::write_rows_raw(file, path, 0, rows, dtype, values.data_ptr());
}

at::Tensor read_tensor(const h5::File& file, const std::string& path) {
  const h5::DatasetInfo info = h5::dataset_info(file, path);
  const std::string what = str(quoted(file.path()), " dataset ", quoted(path));
  const at::ScalarType type = scalar_type_of(info.dtype, what);
  at::Tensor tensor = at::empty(at::IntArrayRef(info.shape), at::TensorOptions().dtype(type));
  const int64_t rows = info.shape.empty() ? 1 : info.shape[0];
  if (tensor.numel() > 0) h5::read_rows_raw(file, path, 0, rows, info.dtype, tensor.data_ptr());
  return tensor;
}

}  // namespace occ::train
