// libFuzzer target: one stored HDF5 chunk through occ's filter pipeline
// (h5::decode_chunk), as h5::read_rows_raw hands it over from
// H5Dread_chunk. Byte 0 picks the pipeline (bit 0 shuffle, bit 1 deflate,
// bit 2 zstd, bit 3 fletcher32, bits 4-5 the element size 1/2/4/8), byte 1
// the filter mask, byte 2 the chunk size in 16-byte units; the rest is the
// stored chunk. Damage may only be refused with an occ::Error.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "h5/filter_pipeline.h"
#include "h5/zstd_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const unsigned pick = data[0];
  occ::h5::FilterPipeline pipeline;
  const unsigned element = 1u << ((pick >> 4) & 3);
  if (pick & 1) pipeline.steps.push_back({H5Z_FILTER_SHUFFLE, H5Z_FLAG_OPTIONAL, {element}});
  if (pick & 2) pipeline.steps.push_back({H5Z_FILTER_DEFLATE, H5Z_FLAG_OPTIONAL, {4}});
  if (pick & 4) pipeline.steps.push_back({occ::h5::kZstdFilterId, H5Z_FLAG_MANDATORY, {3}});
  if (pick & 8) pipeline.steps.push_back({H5Z_FILTER_FLETCHER32, H5Z_FLAG_MANDATORY, {}});
  const size_t chunk_bytes = (static_cast<size_t>(data[2]) + 1) * 16;
  std::vector<unsigned char> stored(data + 3, data + size);
  occ::fuzz::expect_clean([&] {
    const auto decoded = occ::h5::decode_chunk(pipeline, data[1], stored, chunk_bytes,
                                               "cannot read 'fuzz.h5'", "the chunk at (0)");
    if (decoded.size() != chunk_bytes) std::abort();
  });
  return 0;
}
