#pragma once
// HDF5's filter pipeline on plain buffers, so chunks can be decoded and
// encoded on many threads while HDF5 itself (one global lock) only moves
// stored bytes (H5Dread_chunk, H5Dwrite_chunk). It knows the filters occ
// writes and h5py writes by default: shuffle (2), deflate (1), fletcher32
// (3) and zstd (32015); a dataset with any other filter is read and written
// through HDF5 as before (FilterPipeline::supported).
//
// The byte formats follow the HDF5 1.10 sources: H5Zshuffle.c (byte
// transposition of whole elements, trailing bytes kept), H5Zdeflate.c (one
// zlib stream per chunk, compress2 at the stored level; an output longer
// than HDF5's bound skips the optional filter; streams are inflated with
// libdeflate, compressed with zlib, so the stored bytes stay exactly
// HDF5's), H5Zfletcher32.c with
// H5checksum.c (Fletcher-32 over big-endian 16-bit words, stored as 4
// little-endian bytes after the data; the byte-swapped sum of HDF5 1.6.0-1.6.2
// files is accepted too) and h5/zstd_filter.h.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace occ::h5 {

struct FilterStep {
  H5Z_filter_t id = 0;
  unsigned flags = 0;            // H5Z_FLAG_OPTIONAL where a failure skips the filter
  std::vector<unsigned> values;  // client data as stored (after set_local)
};

struct FilterPipeline {
  std::vector<FilterStep> steps;  // in the order they are applied when writing

  // The pipeline of a dataset creation property list.
  static FilterPipeline of(hid_t create_plist);
  // True when every step is one this module implements.
  bool supported() const;
};

// Undoes `pipeline` on one stored chunk: steps whose bit is set in
// `filter_mask` were skipped when it was written. Returns exactly
// `chunk_bytes` decoded bytes; throws FormatError "<where>: stored data is
// damaged (<what> in <chunk>)" on a checksum mismatch ("... Fletcher32
// checksum ...", or a deflate stream's Adler-32), a stream that does not
// decode, or a decoded size other than chunk_bytes. `chunk` names the chunk ("the chunk at (4, 0, 0)").
std::vector<unsigned char> decode_chunk(const FilterPipeline& pipeline, unsigned filter_mask,
                                        const std::vector<unsigned char>& stored, size_t chunk_bytes,
                                        const std::string& where, const std::string& chunk);

// The same from `stored_bytes` bytes at `stored` into `out` of chunk_bytes
// bytes: the last step writes there directly, so a chunk of one filter
// (deflate, say) is never copied; on an error `out` may hold part of it.
void decode_chunk_into(const FilterPipeline& pipeline, unsigned filter_mask, const unsigned char* stored,
                       size_t stored_bytes, size_t chunk_bytes, unsigned char* out, const std::string& where,
                       const std::string& chunk);

struct EncodedChunk {
  std::vector<unsigned char> bytes;
  unsigned filter_mask = 0;
};
// Applies `pipeline` to one chunk of `bytes` bytes, as HDF5 would when
// writing it; throws Error "<where>: ..." when a mandatory filter fails.
EncodedChunk encode_chunk(const FilterPipeline& pipeline, const unsigned char* data, size_t bytes,
                          const std::string& where);

// HDF5's Fletcher-32 (H5_checksum_fletcher32).
uint32_t fletcher32(const unsigned char* data, size_t bytes);

}  // namespace occ::h5
