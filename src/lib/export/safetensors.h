#pragma once
// model -> safetensors (huggingface/safetensors, docs "Format"): an 8-byte
// little-endian u64 header size N, N bytes of UTF-8 JSON
// {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
//  "__metadata__": {str: str}} padded with spaces to a multiple of 8 bytes,
// then the tensors' raw little-endian bytes back to back, offsets relative
// to the start of that byte buffer.
#include <map>
#include <string>
#include <vector>

#include "export/model_weights.h"

namespace occ::exporting {

std::string safetensors_dtype(h5::DType dtype);
// The header (size and padded JSON) for `tensors` laid out in order.
std::string safetensors_header(const std::vector<NamedTensor>& tensors,
                               const std::map<std::string, std::string>& metadata);

// Writes `tensors` to the file `output` atomically.
void write_safetensors(const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata, const std::string& output);

}  // namespace occ::exporting
