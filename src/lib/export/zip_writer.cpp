#include "export/zip_writer.h"

#include <zip.h>

#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "core/strings.h"

namespace occ::exporting {

ZipWriter::ZipWriter(const std::string& storage_path, const std::string& display_path)
    : display_path_(display_path) {
  int code = 0;
  archive_ = zip_open(storage_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (!archive_) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    const std::string reason = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw IoError(str("cannot write ", occ::quoted(display_path_), ": ", reason));
  }
}

ZipWriter::~ZipWriter() {
  if (archive_) zip_discard(archive_);
}

void ZipWriter::add(const std::string& name, const std::string& bytes, Method method) {
  if (!archive_) throw Error(str("internal: ", occ::quoted(display_path_), " is already closed"));
  // libzip reads sources when the archive is closed; handing it a malloc'ed
  // copy (freed by libzip) lets the caller drop its buffer at once.
  void* copy = std::malloc(bytes.empty() ? 1 : bytes.size());
  if (!copy) throw Error(str("out of memory writing ", occ::quoted(display_path_)));
  if (!bytes.empty()) std::memcpy(copy, bytes.data(), bytes.size());
  zip_source_t* source = zip_source_buffer(archive_, copy, bytes.size(), /*freep=*/1);
  if (!source) {
    std::free(copy);
    throw IoError(str("cannot write ", occ::quoted(display_path_), ": ", zip_strerror(archive_)));
  }
  const zip_int64_t index = zip_file_add(archive_, name.c_str(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
  if (index < 0) {
    zip_source_free(source);
    throw IoError(str("cannot write ", occ::quoted(name), " into ", occ::quoted(display_path_), ": ",
                      zip_strerror(archive_)));
  }
  const zip_int32_t compression = method == Method::deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE;
  if (zip_set_file_compression(archive_, static_cast<zip_uint64_t>(index), compression, 0) != 0) {
    throw IoError(str("cannot compress ", occ::quoted(name), " in ", occ::quoted(display_path_), ": ",
                      zip_strerror(archive_)));
  }
}

void ZipWriter::close() {
  if (!archive_) return;
  if (zip_close(archive_) != 0) {
    const std::string reason = zip_strerror(archive_);
    throw IoError(str("cannot write ", occ::quoted(display_path_), ": ", reason));
  }
  archive_ = nullptr;
}

}  // namespace occ::exporting
