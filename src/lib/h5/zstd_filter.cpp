#include "h5/zstd_filter.h"

#include <zstd.h>

#include <cstring>

namespace occ::h5 {
namespace {

// The one compression call of the filter and of zstd_encode: a single frame
// with its content size, so both store identical bytes.
size_t compress_frame(void* out, size_t capacity, const void* data, size_t bytes, int level) {
  return ZSTD_compress(out, capacity, data, bytes, level);
}

// Follows the HDF5 filter contract: return the number of valid bytes in
// *buffer (replaced by a new allocation) or 0 on failure, leaving *buffer
// untouched so HDF5 can report the error.
size_t zstd_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                   size_t* buffer_size, void** buffer) {
  if (flags & H5Z_FLAG_REVERSE) {
    const unsigned long long content = ZSTD_getFrameContentSize(*buffer, nbytes);
    if (content == ZSTD_CONTENTSIZE_ERROR) return 0;
    if (content != ZSTD_CONTENTSIZE_UNKNOWN) {
      void* output = H5allocate_memory(content, false);
      if (!output) return 0;
      const size_t written = ZSTD_decompress(output, content, *buffer, nbytes);
      if (ZSTD_isError(written)) {
        H5free_memory(output);
        return 0;
      }
      H5free_memory(*buffer);
      *buffer = output;
      *buffer_size = content;
      return written;
    }
    // Frames written by streaming compressors may omit the content size.
    ZSTD_DStream* stream = ZSTD_createDStream();
    size_t capacity = nbytes * 4 + 1024;
    auto* output = static_cast<char*>(H5allocate_memory(capacity, false));
    ZSTD_inBuffer in{*buffer, nbytes, 0};
    size_t produced = 0;
    size_t status = 1;
    while (output && status != 0) {
      if (produced == capacity) {
        auto* bigger = static_cast<char*>(H5resize_memory(output, capacity * 2));
        if (!bigger) break;
        output = bigger;
        capacity *= 2;
      }
      ZSTD_outBuffer out{output + produced, capacity - produced, 0};
      status = ZSTD_decompressStream(stream, &out, &in);
      produced += out.pos;
      if (ZSTD_isError(status) || (in.pos == in.size && out.pos == 0 && status != 0)) break;
    }
    ZSTD_freeDStream(stream);
    if (!output || status != 0) {
      if (output) H5free_memory(output);
      return 0;
    }
    H5free_memory(*buffer);
    *buffer = output;
    *buffer_size = capacity;
    return produced;
  }
  const int level = cd_nelmts > 0 ? static_cast<int>(cd_values[0]) : kZstdDefaultLevel;
  const size_t bound = ZSTD_compressBound(nbytes);
  void* output = H5allocate_memory(bound, false);
  if (!output) return 0;
  const size_t written = compress_frame(output, bound, *buffer, nbytes, level);
  if (ZSTD_isError(written)) {
    H5free_memory(output);
    return 0;
  }
  H5free_memory(*buffer);
  *buffer = output;
  *buffer_size = bound;
  return written;
}

const H5Z_class2_t kZstdClass = {
    H5Z_CLASS_T_VERS, kZstdFilterId, 1, 1, "zstd", nullptr, nullptr, zstd_filter,
};

}  // namespace

const H5Z_class2_t* zstd_filter_class() {
  return &kZstdClass;
}

std::vector<unsigned char> zstd_encode(const void* data, size_t bytes, int level) {
  std::vector<unsigned char> frame(ZSTD_compressBound(bytes));
  const size_t written = compress_frame(frame.data(), frame.size(), data, bytes, level);
  if (ZSTD_isError(written))
    frame.clear();  // only for levels or sizes zstd refuses
  else
    frame.resize(written);
  return frame;
}

size_t zstd_decode(const void* frame, size_t bytes, void* out, size_t capacity, std::string* error) {
  const unsigned long long content = ZSTD_getFrameContentSize(frame, bytes);
  if (content == ZSTD_CONTENTSIZE_ERROR) {
    *error = "not a zstd frame";
    return 0;
  }
  if (content != ZSTD_CONTENTSIZE_UNKNOWN && content > capacity) {
    *error = "zstd frame holds " + std::to_string(content) + " bytes, the chunk " + std::to_string(capacity);
    return 0;
  }
  const size_t written = ZSTD_decompress(out, capacity, frame, bytes);
  if (ZSTD_isError(written)) {
    *error = std::string("zstd: ") + ZSTD_getErrorName(written);
    return 0;
  }
  return written;
}

bool register_zstd_filter() {
  if (H5Zfilter_avail(kZstdFilterId) > 0) return true;
  return H5Zregister(&kZstdClass) >= 0;
}

}  // namespace occ::h5
