#pragma once
// CPU tensors to and from HDF5 datasets (float32, float64, int64, uint8), so
// model files hold plain arrays any HDF5 reader (h5py) understands.
#include <ATen/core/Tensor.h>

#include <string>

#include "h5/file.h"

namespace occ::train {

// Writes a contiguous copy of `tensor` (any device) at `path`; 0-d tensors
// become scalar datasets. Throws FormatError for other dtypes.
void write_tensor(h5::File& file, const std::string& path, const at::Tensor& tensor);
// Reads the dataset at `path` as a CPU tensor of its stored dtype.
at::Tensor read_tensor(const h5::File& file, const std::string& path);

}  // namespace occ::train
