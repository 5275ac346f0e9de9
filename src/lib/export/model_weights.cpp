#include "export/model_weights.h"

#include "core/error.h"
#include "core/strings.h"
#include "h5/artifact.h"
#include "h5/dataset.h"

namespace occ::exporting {

int64_t NamedTensor::element_count() const {
  int64_t count = 1;
  for (const int64_t extent : shape) count *= extent;
  return count;
}

std::vector<NamedTensor> read_model_weights(const std::string& model_path) {
  const h5::File file = h5::open_artifact(model_path, "model");
  const std::string prefix = "/weights/";
  std::vector<NamedTensor> tensors;
  for (const std::string& path : file.dataset_paths()) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    const h5::DatasetInfo info = h5::dataset_info(file, path);
    NamedTensor tensor;
    tensor.name = path.substr(prefix.size());
    for (char& c : tensor.name) {
      if (c == '/') c = '.';
    }
    tensor.dtype = info.dtype;
    tensor.shape = info.shape;
    tensor.data.resize(static_cast<size_t>(tensor.element_count()) * h5::dtype_size(info.dtype));
    if (tensor.element_count() > 0) {
      const int64_t rows = info.shape.empty() ? 1 : info.shape[0];
      h5::read_rows_raw(file, path, 0, rows, info.dtype, tensor.data.data());
    }
    tensors.push_back(std::move(tensor));
  }
  if (tensors.empty()) throw FormatError(str(occ::quoted(model_path), " holds no datasets under '/weights'"));
  return tensors;
}

}  // namespace occ::exporting
