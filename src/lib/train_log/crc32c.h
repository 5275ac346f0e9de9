#pragma once
// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78), the
// checksum of TFRecord files, and TensorFlow's "masked" form of it
// (tensorflow/core/lib/hash/crc32c.h): a record's CRC is masked so that
// checksumming data that itself holds CRCs does not degenerate.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace occ::train_log {

// CRC-32C of `size` bytes, continuing from `crc` (0 for a fresh checksum).
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);
inline uint32_t crc32c(std::string_view bytes) {
  return crc32c(bytes.data(), bytes.size());
}

// ((crc >> 15) | (crc << 17)) + 0xa282ead8, as TensorFlow's crc32c::Mask.
uint32_t masked_crc32c(uint32_t crc);

}  // namespace occ::train_log
