#include "h5/file.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/strings.h"
#include "h5/error_stack.h"

namespace occ::h5 {
namespace {

herr_t collect_dataset(hid_t /*root*/, const char* name, const H5O_info_t* info, void* data) {
  if (info->type == H5O_TYPE_DATASET) {
    static_cast<std::vector<std::string>*>(data)->push_back(std::string("/") + name);
  }
  return 0;
}

}  // namespace

File File::open(const std::string& path) {
  ensure_initialized();
  struct stat status {};
  if (stat(path.c_str(), &status) != 0) {
    throw IoError(str("cannot open ", quoted(path), ": ", std::strerror(errno)));
  }
  if (S_ISDIR(status.st_mode)) throw IoError(str("cannot open ", quoted(path), ": is a directory"));
  if (!std::ifstream(path, std::ios::binary)) {
    throw IoError(str("cannot open ", quoted(path), ": ", std::strerror(errno)));
  }
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 == 0) {
    H5Eclear2(H5E_DEFAULT);
    throw FormatError(str("cannot open ", quoted(path), ": not an HDF5 file"));
  }
  File file;
  file.display_path_ = path;
  // A bigger raw-data chunk cache (64 MiB) so reading one frame of a large
  // per-frame chunk does not decompress the chunk again for every row.
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_cache(access.id(), 0, 1021, 64u << 20, 0.75);
  const hid_t id = is_hdf5 > 0 ? H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.id()) : -1;
  if (id < 0) {
    const std::string detail = take_error_message();
    throw FormatError(str("cannot open ", quoted(path), ": truncated or corrupt HDF5 file",
                          detail.empty() ? "" : " (" + detail + ")"));
  }
  file.handle_ = Handle(id, H5Fclose);
  return file;
}

File File::create(const std::string& storage_path, const std::string& display_path) {
  ensure_initialized();
  File file;
  file.display_path_ = display_path;
  file.writable_ = true;
  const hid_t id = H5Fcreate(storage_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) {
    const std::string detail = take_error_message();
    throw IoError(str("cannot create ", quoted(display_path), detail.empty() ? "" : ": " + detail));
  }
  file.handle_ = Handle(id, H5Fclose);
  return file;
}

bool File::exists(const std::string& object_path) const {
  if (object_path == "/" || object_path.empty()) return true;
  // Check each prefix: H5Lexists fails (rather than returning false) when an
  // intermediate group is missing.
  size_t position = 0;
  while (position != std::string::npos) {
    position = object_path.find('/', position + 1);
    const std::string prefix = object_path.substr(0, position);
    if (prefix.empty() || prefix == "/") continue;
    if (H5Lexists(id(), prefix.c_str(), H5P_DEFAULT) <= 0 ||
        H5Oexists_by_name(id(), prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
  }
  return true;
}

bool File::is_dataset(const std::string& object_path) const {
  if (!exists(object_path)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name(id(), object_path.c_str(), &info, H5P_DEFAULT) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  return info.type == H5O_TYPE_DATASET;
}

std::vector<std::string> File::dataset_paths() const {
  std::vector<std::string> paths;
  if (H5Ovisit(id(), H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &paths) < 0) {
    throw_last_error(str("cannot list the datasets of ", quoted(path())));
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

void File::close() {
  if (!handle_.valid()) return;
  if (writable_ && H5Fflush(handle_.id(), H5F_SCOPE_GLOBAL) < 0) {
    const std::string detail = take_error_message();
    handle_.close();
    throw IoError(str("cannot write ", quoted(path()), ": ", detail));
  }
  if (handle_.close() < 0) {
    throw IoError(str("cannot close ", quoted(path()), ": ", take_error_message()));
  }
}

std::string File::where(const std::string& object_path) const {
  if (object_path.empty() || object_path == "/") return quoted(path());
  return str(quoted(object_path), " in ", quoted(path()));
}

Handle open_object(const File& file, const std::string& object_path) {
  if (!file.exists(object_path)) {
    throw FormatError(str(file.where(), " has no ", quoted(object_path)));
  }
  const hid_t id = H5Oopen(file.id(), object_path.c_str(), H5P_DEFAULT);
  if (id < 0) throw_last_error(str("cannot open ", file.where(object_path)));
  return Handle(id, H5Oclose);
}

}  // namespace occ::h5
