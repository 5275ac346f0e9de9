#include "h5/filter_pipeline.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "core/error.h"
#include "core/strings.h"
#include "h5/zstd_filter.h"

namespace occ::h5 {
namespace {

using Bytes = std::vector<unsigned char>;

// Bytes read, not owned: the stored chunk as handed over, or a step's output.
struct View {
  const unsigned char* data = nullptr;
  size_t size = 0;
  View() = default;
  View(const unsigned char* bytes, size_t n) : data(bytes), size(n) {}
  explicit View(const Bytes& bytes) : data(bytes.data()), size(bytes.size()) {}
};

// H5Zshuffle.c: element size in cd_values[0] (set_local stores the type's
// size); a no-op for one-byte elements or a single element.
size_t shuffle_size(const FilterStep& step) {
  return step.values.empty() ? 1 : step.values[0];
}

Bytes shuffle(const Bytes& in, size_t size) {
  const size_t count = size ? in.size() / size : 0;
  if (size <= 1 || count <= 1) return in;
  Bytes out(in.size());
  for (size_t b = 0; b < size; ++b) {
    unsigned char* lane = out.data() + b * count;
    for (size_t e = 0; e < count; ++e) lane[e] = in[e * size + b];
  }
  std::copy(in.begin() + static_cast<long>(count * size), in.end(),
            out.begin() + static_cast<long>(count * size));
  return out;
}

// Into `out` of in.size bytes.
void unshuffle_into(View in, size_t size, unsigned char* out) {
  const size_t count = size ? in.size / size : 0;
  if (size <= 1 || count <= 1) {
    std::memcpy(out, in.data, in.size);
    return;
  }
  for (size_t b = 0; b < size; ++b) {
    const unsigned char* lane = in.data + b * count;
    for (size_t e = 0; e < count; ++e) out[e * size + b] = lane[e];
  }
  std::memcpy(out + count * size, in.data + count * size, in.size - count * size);
}

Bytes unshuffle(View in, size_t size) {
  Bytes out(in.size);
  unshuffle_into(in, size, out.data());
  return out;
}

// One libdeflate decompressor per thread (they are not thread-safe and cost
// a few allocations; the pool's threads keep theirs for the process).
libdeflate_decompressor* thread_decompressor() {
  struct Owner {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    ~Owner() { libdeflate_free_decompressor(d); }
  };
  thread_local Owner owner;
  if (!owner.d) throw std::bad_alloc();
  return owner.d;
}

// One zlib-format stream (RFC 1950: header, deflate data, Adler-32 of the
// output, as H5Zdeflate.c's compress2 writes it) into `out` of `capacity`
// bytes; returns the bytes produced. libdeflate (3.3x zlib's inflate on
// occ's chunks, docs/reading.md) checks the header and the Adler-32 sum and
// reports a stream that needs more room than `capacity` apart. Bytes after
// the stream's end are ignored, as zlib's inflate does.
size_t inflate_at_most(View in, unsigned char* out, size_t capacity, const std::string& where,
                       const std::string& chunk) {
  size_t produced = 0;
  const libdeflate_result result =
      libdeflate_zlib_decompress(thread_decompressor(), in.data, in.size, out, capacity, &produced);
  if (result == LIBDEFLATE_SUCCESS) return produced;
  if (result == LIBDEFLATE_INSUFFICIENT_SPACE) {
    throw FormatError(
        str(where, ": stored data is damaged (", chunk, " inflates to more than ", capacity, " bytes)"));
  }
  throw FormatError(str(where,
                        ": stored data is damaged (deflate stream does not inflate: invalid or truncated "
                        "data or an Adler-32 mismatch in ",
                        chunk, ")"));
}

// The last step undone: the stream must inflate to exactly `bytes` bytes.
void inflate_into(View in, unsigned char* out, size_t bytes, const std::string& where,
                  const std::string& chunk) {
  const size_t produced = inflate_at_most(in, out, bytes, where, chunk);
  if (produced != bytes) {
    throw FormatError(str(where, ": stored data is damaged (", chunk, " decodes to ", produced,
                          " bytes, expected ", bytes, ")"));
  }
}

// A step before others (shuffle, or a checksum applied before deflate):
// its output is the next step's input, at most `expected` plus a checksum,
// so a longer stream is damage (HDF5 grows its buffer instead, then fails
// on the size).
Bytes inflate_stream(View in, size_t expected, const std::string& where, const std::string& chunk) {
  Bytes out(expected + 64);
  out.resize(inflate_at_most(in, out.data(), out.size(), where, chunk));
  return out;
}

// H5Zdeflate.c: compress2 into ceil(n * 1.001f) + 12 bytes (H5Z_DEFLATE_SIZE_ADJUST);
// false when the stream does not fit there (HDF5 then skips the filter).
bool deflate_into(const Bytes& in, int level, Bytes* out) {
  uLongf size =
      static_cast<uLongf>(std::ceil(static_cast<double>(in.size()) * static_cast<double>(1.001f))) + 12;
  out->resize(size);
  const int status = compress2(out->data(), &size, in.data(), static_cast<uLong>(in.size()), level);
  if (status != Z_OK) return false;
  out->resize(size);
  return true;
}

Bytes zstd_unpack(View in, size_t expected, const std::string& where, const std::string& chunk) {
  Bytes out(expected);
  std::string error;
  const size_t produced = zstd_decode(in.data, in.size, out.data(), out.size(), &error);
  if (produced == 0 && !error.empty())
    throw FormatError(str(where, ": stored data is damaged (", error, " in ", chunk, ")"));
  out.resize(produced);
  return out;
}

void append_checksum(Bytes* data) {
  const uint32_t sum = fletcher32(data->data(), data->size());
  for (int b = 0; b < 4; ++b) data->push_back(static_cast<unsigned char>(sum >> (8 * b)));
}

// Checks the 4-byte sum at the end of `data` and drops it from the view.
void check_and_strip_checksum(View* data, const std::string& where, const std::string& chunk) {
  if (data->size < 4)
    throw FormatError(str(where, ": stored data is damaged (", chunk, " is shorter than its checksum)"));
  const size_t n = data->size - 4;
  const unsigned char* tail = data->data + n;
  const uint32_t stored = static_cast<uint32_t>(tail[0]) | static_cast<uint32_t>(tail[1]) << 8 |
                          static_cast<uint32_t>(tail[2]) << 16 | static_cast<uint32_t>(tail[3]) << 24;
  const uint32_t sum = fletcher32(data->data, n);
  const uint32_t swapped = (sum >> 24) | ((sum >> 8) & 0xff00u) | ((sum << 8) & 0xff0000u) | (sum << 24);
  if (stored != sum && stored != swapped) {
    throw FormatError(
        str(where, ": stored data is damaged (data error detected by Fletcher32 checksum in ", chunk, ")"));
  }
  data->size = n;
}

}  // namespace

FilterPipeline FilterPipeline::of(hid_t create_plist) {
  FilterPipeline pipeline;
  const int count = H5Pget_nfilters(create_plist);
  for (int i = 0; i < count; ++i) {
    FilterStep step;
    unsigned values[16] = {};
    size_t value_count = 16;
    char name[64] = {};
    unsigned config = 0;
    step.id = H5Pget_filter2(create_plist, static_cast<unsigned>(i), &step.flags, &value_count, values,
                             sizeof name, name, &config);
    step.values.assign(values, values + std::min<size_t>(value_count, 16));
    pipeline.steps.push_back(step);
  }
  return pipeline;
}

bool FilterPipeline::supported() const {
  // A mask word has 32 bits, one per step.
  if (steps.size() > 32) return false;
  return std::all_of(steps.begin(), steps.end(), [](const FilterStep& step) {
    switch (step.id) {
      case H5Z_FILTER_SHUFFLE:
      case H5Z_FILTER_FLETCHER32:
        return true;
      case H5Z_FILTER_DEFLATE:
        return !step.values.empty();  // the level, needed to encode
      case kZstdFilterId:
        return true;
      default:
        return false;
    }
  });
}

void decode_chunk_into(const FilterPipeline& pipeline, unsigned filter_mask, const unsigned char* stored,
                       size_t stored_bytes, size_t chunk_bytes, unsigned char* out, const std::string& where,
                       const std::string& chunk) {
  // The last step undone (the first applied) writes straight into `out`.
  size_t last = pipeline.steps.size();
  for (size_t s = 0; s < pipeline.steps.size() && last == pipeline.steps.size(); ++s) {
    if (!(filter_mask & (1u << s))) last = s;
  }
  View data(stored, stored_bytes);
  Bytes owned;  // the output of the latest step that did not write into `out`
  const auto keep = [&](Bytes bytes) {
    owned = std::move(bytes);
    data = View(owned);
  };
  const auto wrong_size = [&](size_t size) {
    return FormatError(str(where, ": stored data is damaged (", chunk, " decodes to ", size,
                           " bytes, expected ", chunk_bytes, ")"));
  };
  for (size_t s = pipeline.steps.size(); s-- > 0;) {
    if (filter_mask & (1u << s)) continue;
    const FilterStep& step = pipeline.steps[s];
    const bool into_out = s == last;
    switch (step.id) {
      case H5Z_FILTER_FLETCHER32:
        check_and_strip_checksum(&data, where, chunk);
        if (into_out) {
          if (data.size != chunk_bytes) throw wrong_size(data.size);
          std::memcpy(out, data.data, chunk_bytes);
        }
        break;
      case H5Z_FILTER_DEFLATE:
        if (into_out) {
          inflate_into(data, out, chunk_bytes, where, chunk);
        } else {
          keep(inflate_stream(data, chunk_bytes, where, chunk));
        }
        break;
      case kZstdFilterId:
        if (into_out) {
          std::string error;
          const size_t produced = zstd_decode(data.data, data.size, out, chunk_bytes, &error);
          if (!error.empty())
            throw FormatError(str(where, ": stored data is damaged (", error, " in ", chunk, ")"));
          if (produced != chunk_bytes) throw wrong_size(produced);
        } else {
          // Any step before it only grows the chunk by a checksum.
          keep(zstd_unpack(data, chunk_bytes + 64, where, chunk));
        }
        break;
      case H5Z_FILTER_SHUFFLE:
        if (into_out) {
          if (data.size != chunk_bytes) throw wrong_size(data.size);
          unshuffle_into(data, shuffle_size(step), out);
        } else {
          keep(unshuffle(data, shuffle_size(step)));
        }
        break;
      default:
        throw Error(str(where, ": filter ", step.id, " is not decoded here"));
    }
  }
  if (last == pipeline.steps.size()) {  // no filter applied: stored as is
    if (data.size != chunk_bytes) throw wrong_size(data.size);
    std::memcpy(out, data.data, chunk_bytes);
  }
}

Bytes decode_chunk(const FilterPipeline& pipeline, unsigned filter_mask, const Bytes& stored,
                   size_t chunk_bytes, const std::string& where, const std::string& chunk) {
  Bytes out(chunk_bytes);
  decode_chunk_into(pipeline, filter_mask, stored.data(), stored.size(), chunk_bytes, out.data(), where,
                    chunk);
  return out;
}

EncodedChunk encode_chunk(const FilterPipeline& pipeline, const unsigned char* data, size_t bytes,
                          const std::string& where) {
  EncodedChunk chunk;
  chunk.bytes.assign(data, data + bytes);
  Bytes scratch;
  for (size_t s = 0; s < pipeline.steps.size(); ++s) {
    const FilterStep& step = pipeline.steps[s];
    bool ok = true;
    switch (step.id) {
      case H5Z_FILTER_SHUFFLE:
        chunk.bytes = shuffle(chunk.bytes, shuffle_size(step));
        break;
      case H5Z_FILTER_DEFLATE:
        ok = deflate_into(chunk.bytes, static_cast<int>(step.values.at(0)), &scratch);
        if (ok) chunk.bytes.swap(scratch);
        break;
      case kZstdFilterId: {
        const int level = step.values.empty() ? kZstdDefaultLevel : static_cast<int>(step.values[0]);
        scratch = zstd_encode(chunk.bytes.data(), chunk.bytes.size(), level);
        ok = !scratch.empty();
        if (ok) chunk.bytes.swap(scratch);
        break;
      }
      case H5Z_FILTER_FLETCHER32:
        append_checksum(&chunk.bytes);
        break;
      default:
        throw Error(str(where, ": filter ", step.id, " is not encoded here"));
    }
    if (!ok) {
      // H5Z_pipeline: a failed optional filter is skipped and marked.
      if (!(step.flags & H5Z_FLAG_OPTIONAL)) throw Error(str(where, ": filter ", step.id, " failed"));
      chunk.filter_mask |= 1u << s;
    }
  }
  return chunk;
}

uint32_t fletcher32(const unsigned char* data, size_t bytes) {
  // H5checksum.c: sums over big-endian 16-bit words, folded every 360 words
  // so the 32-bit sums cannot overflow; an odd last byte is the high byte of
  // a final word.
  uint32_t low = 0, high = 0;
  size_t words = bytes / 2;
  while (words > 0) {
    const size_t block = std::min<size_t>(words, 360);
    words -= block;
    for (size_t w = 0; w < block; ++w, data += 2) {
      low += static_cast<uint32_t>(data[0]) << 8 | static_cast<uint32_t>(data[1]);
      high += low;
    }
    low = (low & 0xffff) + (low >> 16);
    high = (high & 0xffff) + (high >> 16);
  }
  if (bytes % 2) {
    low += static_cast<uint32_t>(data[0]) << 8;
    high += low;
    low = (low & 0xffff) + (low >> 16);
    high = (high & 0xffff) + (high >> 16);
  }
  low = (low & 0xffff) + (low >> 16);
  high = (high & 0xffff) + (high >> 16);
  return high << 16 | low;
}

}  // namespace occ::h5
