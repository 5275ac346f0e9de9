#pragma once
// A reader of TensorBoard event files written only for the tests, so that
// the writer is checked against an independent decoder: it walks the TFRecord
// framing, verifies both masked CRC-32C of every record, and decodes the
// tensorflow.Event fields the writer uses, skipping any others.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "train_log/crc32c.h"

namespace occ::test {

struct DecodedEvent {
  double wall_time = 0.0;
  int64_t step = 0;
  std::string file_version;
  std::vector<std::pair<std::string, float>> scalars;  // (tag, simple_value)
};

class ProtoCursor {
 public:
  explicit ProtoCursor(const std::string& bytes) : bytes_(bytes) {}
  bool done() const { return position_ >= bytes_.size(); }
  uint64_t varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      const auto byte = static_cast<uint8_t>(take(1)[0]);
      value |= uint64_t{byte & 0x7Fu} << shift;
      if (!(byte & 0x80u)) return value;
    }
    throw std::runtime_error("varint longer than 10 bytes");
  }
  std::string take(size_t size) {
    if (position_ + size > bytes_.size()) throw std::runtime_error("protobuf field runs past its message");
    std::string part = bytes_.substr(position_, size);
    position_ += size;
    return part;
  }
  template <typename T>
  T fixed() {
    uint64_t bits = 0;
    const std::string raw = take(sizeof(T));
    for (size_t i = 0; i < sizeof(T); ++i) bits |= uint64_t{static_cast<uint8_t>(raw[i])} << (8 * i);
    T value;
    if constexpr (sizeof(T) == 4) {
      const auto narrow = static_cast<uint32_t>(bits);
      std::memcpy(&value, &narrow, 4);
    } else {
      std::memcpy(&value, &bits, 8);
    }
    return value;
  }
  // Skips a field of an unused number.
  void skip(uint32_t wire_type) {
    if (wire_type == 0)
      varint();
    else if (wire_type == 1)
      take(8);
    else if (wire_type == 2)
      take(varint());
    else if (wire_type == 5)
      take(4);
    else
      throw std::runtime_error("unknown wire type " + std::to_string(wire_type));
  }

 private:
  const std::string& bytes_;
  size_t position_ = 0;
};

inline std::pair<std::string, float> decode_summary_value(const std::string& bytes) {
  std::pair<std::string, float> value{"", 0.0f};
  ProtoCursor cursor(bytes);
  while (!cursor.done()) {
    const uint64_t key = cursor.varint();
    if (key == ((1 << 3) | 2))
      value.first = cursor.take(cursor.varint());
    else if (key == ((2 << 3) | 5))
      value.second = cursor.fixed<float>();
    else
      cursor.skip(key & 7);
  }
  return value;
}

inline DecodedEvent decode_event(const std::string& bytes) {
  DecodedEvent event;
  ProtoCursor cursor(bytes);
  while (!cursor.done()) {
    const uint64_t key = cursor.varint();
    if (key == ((1 << 3) | 1)) {
      event.wall_time = cursor.fixed<double>();
    } else if (key == ((2 << 3) | 0)) {
      event.step = static_cast<int64_t>(cursor.varint());
    } else if (key == ((3 << 3) | 2)) {
      event.file_version = cursor.take(cursor.varint());
    } else if (key == ((5 << 3) | 2)) {
      const std::string summary = cursor.take(cursor.varint());
      ProtoCursor values(summary);
      while (!values.done()) {
        const uint64_t value_key = values.varint();
        if (value_key == ((1 << 3) | 2))
          event.scalars.push_back(decode_summary_value(values.take(values.varint())));
        else
          values.skip(value_key & 7);
      }
    } else {
      cursor.skip(key & 7);
    }
  }
  return event;
}

// Every record of a TFRecord file; throws on a bad CRC or a truncated record.
inline std::vector<std::string> read_tfrecords(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> records;
  std::string framing;  // a std::string so that ProtoCursor::fixed can read it
  for (size_t position = 0; position < bytes.size();) {
    if (position + 12 > bytes.size()) throw std::runtime_error("truncated record header");
    framing = bytes.substr(position, 12);
    ProtoCursor header(framing);
    const auto length = header.fixed<uint64_t>();
    const auto length_crc = header.fixed<uint32_t>();
    if (length_crc != train_log::masked_crc32c(train_log::crc32c(bytes.data() + position, 8)))
      throw std::runtime_error("bad length crc");
    position += 12;
    if (position + length + 4 > bytes.size()) throw std::runtime_error("truncated record");
    std::string data = bytes.substr(position, length);
    position += length;
    framing = bytes.substr(position, 4);
    if (ProtoCursor(framing).fixed<uint32_t>() != train_log::masked_crc32c(train_log::crc32c(data)))
      throw std::runtime_error("bad data crc");
    position += 4;
    records.push_back(std::move(data));
  }
  return records;
}

}  // namespace occ::test
