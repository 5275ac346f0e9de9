#include "export/binary_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"

namespace occ::exporting {

void write_binary_file(const std::string& storage_path, const std::string& display_path, const void* data,
                       size_t size) {
  std::ofstream out(storage_path, std::ios::binary | std::ios::trunc);
  if (!out) throw IoError(str("cannot write ", occ::quoted(display_path), ": ", std::strerror(errno)));
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) throw IoError(str("cannot write ", occ::quoted(display_path), ": ", std::strerror(errno)));
}

std::string read_binary_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(str("cannot open ", occ::quoted(path), ": ", std::strerror(errno)));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw IoError(str("cannot read ", occ::quoted(path)));
  return bytes.str();
}

}  // namespace occ::exporting
