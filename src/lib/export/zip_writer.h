#pragma once
// A zip archive written with libzip: the container of .npz files (numpy's
// savez/savez_compressed) and of torch.save's zip format.
#include <string>

struct zip;

namespace occ::exporting {

class ZipWriter {
 public:
  enum class Method { store, deflate };

  // Creates (truncates) `storage_path`; messages name `display_path`.
  ZipWriter(const std::string& storage_path, const std::string& display_path);
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // The bytes are copied; entries keep the order they are added in.
  void add(const std::string& name, const std::string& bytes, Method method);
  // Writes the archive; throws IoError when libzip cannot.
  void close();

 private:
  zip* archive_ = nullptr;
  std::string display_path_;
};

}  // namespace occ::exporting
