// libFuzzer target: one .npy image (npy::parse), then every conversion a
// reader applies to it.
#include <cstddef>
#include <cstdint>

#include "datasets/npy.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  occ::fuzz::expect_clean([&] {
    const occ::npy::Array array = occ::npy::parse(data, size, "'fuzz.npy'");
    occ::fuzz::expect_clean([&] { array.as_uint8("'fuzz.npy'"); });
    occ::fuzz::expect_clean([&] { array.as_labels("'fuzz.npy'"); });
    occ::fuzz::expect_clean([&] { array.as_float("'fuzz.npy'"); });
  });
  return 0;
}
