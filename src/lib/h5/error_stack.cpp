#include "h5/error_stack.h"

#include <hdf5.h>

#include <mutex>
#include <vector>

#include "core/error.h"
#include "h5/zstd_filter.h"

namespace occ::h5 {
namespace {

herr_t collect(unsigned /*n*/, const H5E_error2_t* entry, void* data) {
  auto* messages = static_cast<std::vector<std::string>*>(data);
  if (entry->desc && entry->desc[0]) messages->emplace_back(entry->desc);
  return 0;
}

}  // namespace

void ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    if (!register_zstd_filter()) {
      throw Error("cannot register the zstd HDF5 filter: " + take_error_message());
    }
  });
}

std::string take_error_message() {
  std::vector<std::string> messages;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, collect, &messages);
  H5Eclear2(H5E_DEFAULT);
  // Walking upward, the first entry is the innermost (most specific) cause.
  return messages.empty() ? std::string() : messages.front();
}

void throw_last_error(const std::string& what) {
  const std::string detail = take_error_message();
  throw FormatError(detail.empty() ? what : what + ": " + detail);
}

}  // namespace occ::h5
