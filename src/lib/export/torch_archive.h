#pragma once
// model -> a file torch.load() returns as a dict (OrderedDict) of tensors,
// keyed by state-dict name: PyTorch's zip serialization (torch/serialization.py
// _save, caffe2/serialize/inline_container.h), i.e. an uncompressed zip with
//   archive/data.pkl    pickle protocol 2 of the dict; each tensor is
//                       torch._utils._rebuild_tensor_v2(storage, offset,
//                       size, stride, requires_grad, backward_hooks) and
//                       each storage a persistent id ('storage',
//                       torch.<T>Storage, key, 'cpu', numel);
//   archive/byteorder   "little" (read by torch >= 2.1, ignored before);
//   archive/data/<key>  the raw little-endian bytes of storage <key>;
//   archive/version     "3\n", the format version torch 1.6+ reads.
// Read by Debian's python3-torch 1.13 (tested) and by later versions,
// including torch.load(..., weights_only=True).
#include <string>
#include <vector>

#include "export/model_weights.h"

namespace occ::exporting {

// torch's legacy storage class for a dtype: "FloatStorage", ...
std::string torch_storage_class(h5::DType dtype);
// The data.pkl bytes for `tensors`, storage i holding tensor i.
std::string torch_state_dict_pickle(const std::vector<NamedTensor>& tensors);

// Writes `tensors` to the file `output` atomically.
void write_torch_archive(const std::vector<NamedTensor>& tensors, const std::string& output);

}  // namespace occ::exporting
