#pragma once
// What h5/chunk_reader and h5/chunk_writer need to know of a dataset to move
// its chunks themselves: the chunk shape, the filter pipeline and the
// element size, when all of it is something they handle.
#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "h5/filter_pipeline.h"

namespace occ::h5 {

struct ChunkLayout {
  std::vector<int64_t> chunk;  // chunk shape, rank of the dataset
  FilterPipeline pipeline;
  size_t element_size = 0;

  size_t chunk_bytes() const;
  // "the chunk at (4, 0, 0)", for messages.
  static std::string name(const std::vector<int64_t>& offset);
};

// The layout of the open `dataset` if it is chunked, its filters are all
// FilterPipeline::supported and its stored type equals `memory_type` (so
// stored bytes are memory bytes); nullopt otherwise. Clears any HDF5 error
// it meets, so the caller can fall back to H5Dread/H5Dwrite.
std::optional<ChunkLayout> direct_chunk_layout(hid_t dataset, hid_t memory_type);

}  // namespace occ::h5
