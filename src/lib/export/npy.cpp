#include "export/npy.h"

#include <cstring>

#include "core/error.h"
#include "core/strings.h"

namespace occ::exporting {

std::string npy_header(const std::string& descr, const std::vector<int64_t>& shape) {
  // Python tuple syntax: a 1-tuple needs its trailing comma.
  std::string shape_text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    shape_text += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) shape_text += shape.size() == 1 ? "," : ", ";
  }
  shape_text += ")";
  std::string dict = str("{'descr': '", descr, "', 'fortran_order': False, 'shape': ", shape_text, ", }");
  const size_t preamble = 10;  // magic (6) + version (2) + header length (2)
  // Pad so that the data starts on a 64-byte boundary, as numpy does.
  const size_t total = ((preamble + dict.size() + 1 + 63) / 64) * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict += '\n';
  if (dict.size() > 65535) throw FormatError("npy header too long for format 1.0");
  std::string header("\x93NUMPY\x01\x00", 8);
  header += static_cast<char>(dict.size() & 0xff);
  header += static_cast<char>(dict.size() >> 8);
  return header + dict;
}

std::string npy_bytes(const std::string& descr, const std::vector<int64_t>& shape, const void* data,
                      size_t byte_count) {
  std::string bytes = npy_header(descr, shape);
  const size_t header_size = bytes.size();
  bytes.resize(header_size + byte_count);
  if (byte_count > 0) std::memcpy(bytes.data() + header_size, data, byte_count);
  return bytes;
}

}  // namespace occ::exporting
