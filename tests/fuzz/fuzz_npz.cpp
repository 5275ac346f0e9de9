// libFuzzer target: an .npz archive (zip of .npy members, stored or
// deflated) opened with npy::NpzReader and every member read.
#include <cstddef>
#include <cstdint>

#include "datasets/npy.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = occ::fuzz::scratch_path("input.npz");
  occ::fuzz::write_bytes(path, data, size);
  occ::fuzz::expect_clean([&] {
    const occ::npy::NpzReader reader(path);
    for (const std::string& name : reader.names()) {
      occ::fuzz::expect_clean([&] { reader.read(name).as_labels(name); });
    }
  });
  return 0;
}
