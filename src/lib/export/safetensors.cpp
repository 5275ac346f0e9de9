#include "export/safetensors.h"

#include <nlohmann/json.hpp>

#include <fstream>

#include "core/error.h"
#include "core/strings.h"
#include "h5/atomic_file.h"

namespace occ::exporting {

std::string safetensors_dtype(h5::DType dtype) {
  switch (dtype) {
    case h5::DType::uint8:
      return "U8";
    case h5::DType::uint16:
      return "U16";
    case h5::DType::int32:
      return "I32";
    case h5::DType::int64:
      return "I64";
    case h5::DType::float16:
      return "F16";
    case h5::DType::float32:
      return "F32";
    case h5::DType::float64:
      return "F64";
    default:
      throw FormatError(str("dtype ", h5::dtype_name(dtype), " has no safetensors equivalent"));
  }
}

std::string safetensors_header(const std::vector<NamedTensor>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const auto& tensor : tensors) {
    if (tensor.name == "__metadata__") throw FormatError("a tensor cannot be named '__metadata__'");
    header[tensor.name] = {{"dtype", safetensors_dtype(tensor.dtype)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + tensor.data.size()}}};
    offset += tensor.data.size();
  }
  std::string json = header.dump();
  // The spec allows trailing spaces; 8-byte alignment keeps the data aligned.
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string bytes(8, '\0');
  const uint64_t size = json.size();
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  return bytes + json;
}

void write_safetensors(const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata, const std::string& output) {
  const std::string header = safetensors_header(tensors, metadata);
  h5::AtomicPath atomic(output);
  std::ofstream out(atomic.temp_path(), std::ios::binary | std::ios::trunc);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto& tensor : tensors)
    out.write(tensor.data.data(), static_cast<std::streamsize>(tensor.data.size()));
  out.close();
  if (!out) throw IoError(str("cannot write ", occ::quoted(output)));
  atomic.commit();
}

}  // namespace occ::exporting
