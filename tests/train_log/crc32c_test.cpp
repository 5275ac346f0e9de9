// CRC-32C against published check values (RFC 3720 appendix B.4 for the
// 32-byte patterns) and TensorFlow's masking.
#include "train_log/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace occ::train_log {
namespace {

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
}

TEST(Crc32c, ContinuesAcrossChunks) {
  const std::string text = "123456789";
  const uint32_t first = crc32c(text.data(), 4);
  EXPECT_EQ(crc32c(text.data() + 4, text.size() - 4, first), 0xE3069283u);
}

TEST(Crc32c, MaskRotatesAndOffsets) {
  // ((0 >> 15) | (0 << 17)) + 0xa282ead8
  EXPECT_EQ(masked_crc32c(0u), 0xa282ead8u);
  // 0xE3069283 rotated right by 15 is 0x2507C60D; + 0xa282ead8 = 0xC78AB0E5.
  EXPECT_EQ(masked_crc32c(0xE3069283u), 0xC78AB0E5u);
  EXPECT_EQ(masked_crc32c(0x00008000u), 0x00000001u + 0xa282ead8u);
}

}  // namespace
}  // namespace occ::train_log
