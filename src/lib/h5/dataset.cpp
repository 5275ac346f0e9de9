#include "h5/dataset.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/strings.h"
#include "h5/chunk_reader.h"
#include "h5/chunk_writer.h"
#include "h5/error_stack.h"
#include "h5/zstd_filter.h"

namespace occ::h5 {
namespace {

// Small rows (timestamps, poses) are batched into chunks of about this size;
// a frame bigger than this gets a chunk of its own.
constexpr int64_t kTargetChunkBytes = 256 * 1024;

// OCC_H5_FLETCHER32=0 writes datasets without checksums (for measuring
// their cost, scripts/bench_checksums.sh); anything else, or unset, keeps them.
bool checksums_enabled() {
  static const bool enabled = [] {
    const char* value = std::getenv("OCC_H5_FLETCHER32");
    return value == nullptr || std::strcmp(value, "0") != 0;
  }();
  return enabled;
}

// True when the innermost HDF5 message says a stored checksum did not match.
bool is_checksum_failure(const std::string& detail) {
  return detail.find("Fletcher32") != std::string::npos || detail.find("checksum") != std::string::npos;
}

hid_t check(hid_t id, const std::string& what) {
  if (id < 0) throw_last_error(what);
  return id;
}

std::vector<hsize_t> to_hsize(const Shape& shape) {
  return {shape.begin(), shape.end()};
}

Shape automatic_chunk(const Shape& shape, DType dtype) {
  Shape chunk = shape;
  int64_t row_bytes = static_cast<int64_t>(std::max<size_t>(1, dtype_size(dtype)));
  for (size_t i = 1; i < shape.size(); ++i) row_bytes *= shape[i];
  const int64_t rows = std::max<int64_t>(1, kTargetChunkBytes / std::max<int64_t>(1, row_bytes));
  chunk[0] = std::max<int64_t>(1, std::min(rows, shape[0]));
  return chunk;
}

Handle open_dataset(const File& file, const std::string& path) {
  if (!file.is_dataset(path)) throw FormatError(str(file.where(), " has no dataset ", quoted(path)));
  return Handle(check(H5Dopen2(file.id(), path.c_str(), H5P_DEFAULT), str("cannot open ", file.where(path))),
                H5Dclose);
}

void require_dtype(const File& file, const std::string& path, hid_t dataset, DType expected) {
  Handle type(check(H5Dget_type(dataset), str("cannot read the type of ", file.where(path))), H5Tclose);
  const DType stored = classify_type(type.id());
  if (stored != expected) {
    throw FormatError(str("dataset ", file.where(path), " has dtype ", describe_type(type.id()),
                          ", expected ", dtype_name(expected)));
  }
}

Shape dataspace_shape(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

// Selects rows [first, first + count) of `space`; returns the memory space.
Handle select_rows(hid_t space, const Shape& shape, int64_t first, int64_t count, const std::string& what) {
  if (shape.empty()) {
    if (first != 0 || count != 1) throw FormatError(str(what, ": a scalar dataset has one row"));
    return Handle(check(H5Screate(H5S_SCALAR), what), H5Sclose);
  }
  std::vector<hsize_t> start(shape.size(), 0), extent = to_hsize(shape);
  start[0] = static_cast<hsize_t>(first);
  extent[0] = static_cast<hsize_t>(count);
  if (count > 0 &&
      H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr) < 0) {
    throw_last_error(what);
  }
  if (count == 0) H5Sselect_none(space);
  return Handle(check(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr), what),
                H5Sclose);
}

std::string filter_text(H5Z_filter_t id, size_t count, const unsigned* values) {
  switch (id) {
    case H5Z_FILTER_SHUFFLE:
      return "shuffle";
    case H5Z_FILTER_DEFLATE:
      return count > 0 ? str("deflate(", values[0], ")") : "deflate";
    case H5Z_FILTER_FLETCHER32:
      return "fletcher32";
    case H5Z_FILTER_SZIP:
      return "szip";
    case kZstdFilterId:
      return count > 0 ? str("zstd(", values[0], ")") : "zstd";
    default:
      return str("filter ", id);
  }
}

// H5Dread of a selection, its failures as FormatErrors naming the rows.
void read_selection(hid_t dataset, hid_t type, hid_t memory, hid_t space, void* out, const std::string& what,
                    int64_t first, int64_t count) {
  if (H5Dread(dataset, type, memory, space, H5P_DEFAULT, out) < 0) {
    const std::string detail = take_error_message();
    if (is_checksum_failure(detail)) {
      throw FormatError(
          str(what, ": stored data is damaged (", detail, " in rows ", first, "..", first + count, ")"));
    }
    throw FormatError(str(what, ": ", detail.empty() ? "read failed" : detail,
                          " (truncated file, or a compression filter that is not available)"));
  }
}

}  // namespace

int64_t element_count(const Shape& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

std::string shape_text(const Shape& shape) {
  if (shape.empty()) return "()";
  return "(" + join(shape, ", ") + ")";
}

Compression Compression::parse(const std::string& text) {
  Compression compression;
  const size_t colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  if (kind == "none") {
    compression.kind = Kind::none;
    compression.shuffle = false;
    if (colon != std::string::npos)
      throw UsageError(str("compression 'none' takes no level: ", quoted(text)));
    return compression;
  }
  int max_level = 0;
  if (kind == "deflate") {
    compression.kind = Kind::deflate;
    compression.level = 4;
    max_level = 9;
  } else if (kind == "zstd") {
    compression.kind = Kind::zstd;
    compression.level = kZstdDefaultLevel;
    max_level = 22;
  } else {
    throw UsageError(str("unknown compression ", quoted(text), ": use none, deflate[:0-9] or zstd[:1-22]"));
  }
  if (colon != std::string::npos) {
    const std::string level = text.substr(colon + 1);
    size_t used = 0;
    int value = -1;
    try {
      value = std::stoi(level, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != level.size() || level.empty() || value < (kind == "zstd" ? 1 : 0) || value > max_level) {
      throw UsageError(str("bad compression level in ", quoted(text), ": ", kind, " takes ",
                           kind == "zstd" ? 1 : 0, "-", max_level));
    }
    compression.level = value;
  }
  return compression;
}

std::string Compression::text() const {
  switch (kind) {
    case Kind::none:
      return "none";
    case Kind::deflate:
      return str("deflate:", level);
    case Kind::zstd:
      return str("zstd:", level);
  }
  return "none";
}

void create_dataset(File& file, const std::string& path, DType dtype, const Shape& shape,
                    const DatasetOptions& options) {
  const std::string what = str("cannot create dataset ", file.where(path));
  if (file.exists(path)) throw FormatError(str(what, ": it exists already"));
  for (int64_t dim : shape) {
    if (dim < 0) throw Error(str(what, ": negative dimension in ", shape_text(shape)));
  }
  Handle type = make_type(dtype);
  Handle links(check(H5Pcreate(H5P_LINK_CREATE), what), H5Pclose);
  H5Pset_create_intermediate_group(links.id(), 1);
  Handle create(check(H5Pcreate(H5P_DATASET_CREATE), what), H5Pclose);

  const auto dims = to_hsize(shape);
  auto max_dims = dims;
  const bool any_inner_zero =
      std::any_of(shape.begin() + (shape.empty() ? 0 : 1), shape.end(), [](int64_t dim) { return dim == 0; });
  // Variable-length strings gain nothing from filters, and HDF5 cannot chunk
  // a dataset with an empty inner axis: those are stored contiguously.
  const bool chunked = !shape.empty() && !any_inner_zero && dtype != DType::string;
  if (options.extendable && !chunked) {
    throw Error(str(what, ": an extendable dataset needs a chunkable shape, got ", shape_text(shape)));
  }
  // A zero-length axis 0 cannot hold a chunk unless it may grow.
  if (chunked && (options.extendable || shape[0] == 0)) max_dims[0] = H5S_UNLIMITED;
  if (chunked) {
    Shape chunk = options.chunk.empty() ? automatic_chunk(shape, dtype) : options.chunk;
    if (chunk.size() != shape.size()) {
      throw Error(str(what, ": chunk ", shape_text(chunk), " does not match shape ", shape_text(shape)));
    }
    const auto chunk_dims = to_hsize(chunk);
    if (H5Pset_chunk(create.id(), static_cast<int>(chunk_dims.size()), chunk_dims.data()) < 0) {
      throw_last_error(what);
    }
    const Compression& compression = options.compression;
    if (compression.shuffle && compression.kind != Compression::Kind::none) H5Pset_shuffle(create.id());
    if (compression.kind == Compression::Kind::deflate) {
      if (H5Pset_deflate(create.id(), static_cast<unsigned>(compression.level)) < 0) throw_last_error(what);
    } else if (compression.kind == Compression::Kind::zstd) {
      const unsigned level = static_cast<unsigned>(compression.level);
      if (H5Pset_filter(create.id(), kZstdFilterId, H5Z_FLAG_MANDATORY, 1, &level) < 0)
        throw_last_error(what);
    }
    // Last in the pipeline: the checksum covers the bytes as stored, so a
    // damaged chunk is reported before the decompressor sees it.
    if (checksums_enabled() && H5Pset_fletcher32(create.id()) < 0) throw_last_error(what);
  }
  Handle space(
      check(shape.empty() ? H5Screate(H5S_SCALAR)
                          : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()),
            what),
      H5Sclose);
  Handle dataset(
      check(H5Dcreate2(file.id(), path.c_str(), type.id(), space.id(), links.id(), create.id(), H5P_DEFAULT),
            what),
      H5Dclose);
}

void write_rows_raw(File& file, const std::string& path, int64_t first, int64_t count, DType dtype,
                    const void* data) {
  const std::string what = str("cannot write ", file.where(path));
  Handle dataset = open_dataset(file, path);
  require_dtype(file, path, dataset.id(), dtype);
  Handle space(check(H5Dget_space(dataset.id()), what), H5Sclose);
  Shape shape = dataspace_shape(space.id());
  if (first < 0 || count < 0) throw Error(str(what, ": bad row range"));
  if (!shape.empty() && first + count > shape[0]) {
    shape[0] = first + count;
    const auto dims = to_hsize(shape);
    if (H5Dset_extent(dataset.id(), dims.data()) < 0) {
      throw_last_error(
          str(what, ": rows ", first, "..", first + count, " are beyond its ", shape_text(shape)));
    }
    space = Handle(check(H5Dget_space(dataset.id()), what), H5Sclose);
  }
  if (count == 0) return;
  Handle type = make_type(dtype);
  // Whole chunks are filtered on the thread budget; rows before and after them through H5Dwrite.
  const RowRange direct = write_chunked_rows(dataset.id(), type.id(), shape, first, count, data, what);
  const auto* bytes = static_cast<const unsigned char*>(data);
  const size_t row_bytes =
      direct.count > 0 ? dtype_size(dtype) * static_cast<size_t>(element_count(shape) / shape[0]) : 0;
  const RowRange rest[2] = {
      {first, direct.count > 0 ? direct.first - first : count},
      {direct.first + direct.count, direct.count > 0 ? first + count - direct.first - direct.count : 0}};
  for (const RowRange& part : rest) {
    if (part.count == 0) continue;
    Handle rows_space(check(H5Dget_space(dataset.id()), what), H5Sclose);
    Handle memory = select_rows(rows_space.id(), shape, part.first, part.count, what);
    if (H5Dwrite(dataset.id(), type.id(), memory.id(), rows_space.id(), H5P_DEFAULT,
                 bytes + static_cast<size_t>(part.first - first) * row_bytes) < 0)
      throw_last_error(what);
  }
}

void read_rows_raw(const File& file, const std::string& path, int64_t first, int64_t count, DType dtype,
                   void* out) {
  const std::string what = str("cannot read ", file.where(path));
  Handle dataset = open_dataset(file, path);
  require_dtype(file, path, dataset.id(), dtype);
  Handle space(check(H5Dget_space(dataset.id()), what), H5Sclose);
  const Shape shape = dataspace_shape(space.id());
  const int64_t rows = shape.empty() ? 1 : shape[0];
  if (first < 0 || count < 0 || first + count > rows) {
    throw FormatError(str(what, ": rows ", first, "..", first + count, " requested, it has ", rows));
  }
  if (count == 0 || element_count(shape) == 0) return;
  Handle type = make_type(dtype);
  // Chunks are decoded on the thread budget where this module can (not for
  // a file open for writing: HDF5 may still hold its chunks in its cache).
  if (!file.writable() && read_chunked_rows(dataset.id(), type.id(), shape, {{first, count}}, out, what))
    return;
  Handle memory = select_rows(space.id(), shape, first, count, what);
  read_selection(dataset.id(), type.id(), memory.id(), space.id(), out, what, first, count);
}

void read_row_list_raw(const File& file, const std::string& path, const std::vector<int64_t>& rows,
                       DType dtype, void* out) {
  const std::string what = str("cannot read ", file.where(path));
  Handle dataset = open_dataset(file, path);
  require_dtype(file, path, dataset.id(), dtype);
  Handle space(check(H5Dget_space(dataset.id()), what), H5Sclose);
  const Shape shape = dataspace_shape(space.id());
  if (shape.empty()) throw FormatError(str(what, ": a scalar dataset has no rows to list"));
  std::vector<RowRange> ranges;  // runs of consecutive rows
  for (int64_t row : rows) {
    if (row < 0 || row >= shape[0])
      throw FormatError(str(what, ": row ", row, " requested, it has ", shape[0]));
    if (!ranges.empty() && ranges.back().first + ranges.back().count == row) {
      ++ranges.back().count;
    } else {
      ranges.push_back({row, 1});
    }
  }
  if (rows.empty() || element_count(shape) == 0) return;
  Handle type = make_type(dtype);
  if (!file.writable() && read_chunked_rows(dataset.id(), type.id(), shape, ranges, out, what)) return;
  const size_t row_bytes = dtype_size(dtype) * static_cast<size_t>(element_count(shape) / shape[0]);
  auto* bytes = static_cast<unsigned char*>(out);
  for (const RowRange& range : ranges) {
    Handle memory = select_rows(space.id(), shape, range.first, range.count, what);
    read_selection(dataset.id(), type.id(), memory.id(), space.id(), bytes, what, range.first, range.count);
    bytes += static_cast<size_t>(range.count) * row_bytes;
  }
}

DatasetInfo dataset_info(const File& file, const std::string& path) {
  const std::string what = str("cannot describe ", file.where(path));
  Handle dataset = open_dataset(file, path);
  DatasetInfo info;
  info.path = path;
  Handle type(check(H5Dget_type(dataset.id()), what), H5Tclose);
  info.dtype = classify_type(type.id());
  info.dtype_text = describe_type(type.id());
  Handle space(check(H5Dget_space(dataset.id()), what), H5Sclose);
  info.shape = dataspace_shape(space.id());
  Handle create(check(H5Dget_create_plist(dataset.id()), what), H5Pclose);
  if (H5Pget_layout(create.id()) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(info.shape.size());
    H5Pget_chunk(create.id(), static_cast<int>(chunk.size()), chunk.data());
    info.chunk.assign(chunk.begin(), chunk.end());
    const int filters = H5Pget_nfilters(create.id());
    for (int i = 0; i < filters; ++i) {
      unsigned flags = 0, values[8] = {};
      size_t value_count = 8;
      char name[64] = {};
      const H5Z_filter_t id = H5Pget_filter2(create.id(), static_cast<unsigned>(i), &flags, &value_count,
                                             values, sizeof name, name, nullptr);
      info.filters.push_back(filter_text(id, std::min<size_t>(value_count, 8), values));
    }
  }
  info.storage_bytes = static_cast<int64_t>(H5Dget_storage_size(dataset.id()));
  return info;
}

void write_strings(File& file, const std::string& path, const std::vector<std::string>& values,
                   const Shape& shape) {
  const std::string what = str("cannot write ", file.where(path));
  const Shape stored = shape.empty() ? Shape{static_cast<int64_t>(values.size())} : shape;
  if (element_count(stored) != static_cast<int64_t>(values.size())) {
    throw Error(str(what, ": ", values.size(), " strings do not fill shape ", shape_text(stored)));
  }
  create_dataset(file, path, DType::string, stored);
  if (values.empty()) return;
  Handle dataset = open_dataset(file, path);
  Handle type = make_type(DType::string);
  std::vector<const char*> pointers;
  for (const auto& value : values) pointers.push_back(value.c_str());
  if (H5Dwrite(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0) {
    throw_last_error(what);
  }
}

std::vector<std::string> read_strings(const File& file, const std::string& path) {
  const std::string what = str("cannot read ", file.where(path));
  Handle dataset = open_dataset(file, path);
  require_dtype(file, path, dataset.id(), DType::string);
  Handle file_type(check(H5Dget_type(dataset.id()), what), H5Tclose);
  Handle space(check(H5Dget_space(dataset.id()), what), H5Sclose);
  const Shape shape = dataspace_shape(space.id());
  const auto count = static_cast<size_t>(element_count(shape));
  std::vector<std::string> values;
  if (count == 0) return values;
  if (H5Tis_variable_str(file_type.id()) > 0) {
    Handle type = make_type(DType::string);
    std::vector<char*> pointers(count, nullptr);
    if (H5Dread(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0) {
      throw_last_error(what);
    }
    for (char* pointer : pointers) values.emplace_back(pointer ? pointer : "");
    H5Dvlen_reclaim(type.id(), space.id(), H5P_DEFAULT, pointers.data());
    return values;
  }
  const size_t size = H5Tget_size(file_type.id());
  std::vector<char> buffer(size * count);
  if (H5Dread(dataset.id(), file_type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) < 0) {
    throw_last_error(what);
  }
  for (size_t i = 0; i < count; ++i) {
    std::string value(buffer.data() + i * size, size);
    value.erase(value.find_last_not_of('\0') + 1);
    values.push_back(value);
  }
  return values;
}

}  // namespace occ::h5
