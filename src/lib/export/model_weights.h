#pragma once
// The parameters and buffers of a model file (schema occ.model), as named
// tensors for the model export formats (torch, safetensors).
#include <cstdint>
#include <string>
#include <vector>

#include "h5/dtype.h"

namespace occ::exporting {

struct NamedTensor {
  std::string name;  // state-dict key: "encoder.layers.0.weight"
  h5::DType dtype = h5::DType::float32;
  std::vector<int64_t> shape;
  std::string data;  // raw little-endian C-order values
  int64_t element_count() const;
};

// Every dataset under /weights of `model_path`, '/' in its path becoming '.',
// in name order. Throws naming the file when it holds no weights.
std::vector<NamedTensor> read_model_weights(const std::string& model_path);

}  // namespace occ::exporting
