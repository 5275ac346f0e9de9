#include "h5/chunk_layout.h"

#include "core/strings.h"
#include "h5/handle.h"

namespace occ::h5 {

size_t ChunkLayout::chunk_bytes() const {
  size_t bytes = element_size;
  for (int64_t dim : chunk) bytes *= static_cast<size_t>(dim);
  return bytes;
}

std::string ChunkLayout::name(const std::vector<int64_t>& offset) {
  return "the chunk at (" + join(offset, ", ") + ")";
}

std::optional<ChunkLayout> direct_chunk_layout(hid_t dataset, hid_t memory_type) {
  Handle create(H5Dget_create_plist(dataset), H5Pclose);
  Handle type(H5Dget_type(dataset), H5Tclose);
  Handle space(H5Dget_space(dataset), H5Sclose);
  if (!create.valid() || !type.valid() || !space.valid()) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  if (H5Pget_layout(create.id()) != H5D_CHUNKED || H5Tequal(type.id(), memory_type) <= 0) return std::nullopt;
  const int rank = H5Sget_simple_extent_ndims(space.id());
  if (rank < 1) return std::nullopt;
  std::vector<hsize_t> chunk(static_cast<size_t>(rank));
  if (H5Pget_chunk(create.id(), rank, chunk.data()) != rank) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  ChunkLayout layout;
  layout.chunk.assign(chunk.begin(), chunk.end());
  layout.pipeline = FilterPipeline::of(create.id());
  layout.element_size = H5Tget_size(memory_type);
  if (!layout.pipeline.supported() || layout.element_size == 0) return std::nullopt;
  return layout;
}

}  // namespace occ::h5
