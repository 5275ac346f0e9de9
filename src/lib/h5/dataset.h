#pragma once
// Typed N-D datasets. Reads are strict: asking for float32 from a float64
// dataset is an error naming both, never a silent conversion. Datasets are
// chunked along axis 0 (one frame, or a batch of small rows, per chunk) so a
// reader can stream frame by frame; shuffle + deflate by default, zstd on request.
// Every chunked dataset carries a Fletcher32 checksum per chunk (the last
// filter), so damaged stored bytes are a FormatError naming file and dataset;
// OCC_H5_FLETCHER32=0 in the environment turns it off (benchmarks only).
#include <cstdint>
#include <string>
#include <vector>

#include "h5/dtype.h"
#include "h5/file.h"

namespace occ::h5 {

using Shape = std::vector<int64_t>;
int64_t element_count(const Shape& shape);
std::string shape_text(const Shape& shape);  // "(4, 6, 96, 176)"

struct Compression {
  enum class Kind { none, deflate, zstd };
  Kind kind = Kind::deflate;
  int level = 4;        // deflate 0-9, zstd 1-22
  bool shuffle = true;  // byte shuffle before compressing: helps every numeric type here

  // "none", "deflate", "deflate:6", "zstd", "zstd:9"; throws UsageError.
  static Compression parse(const std::string& text);
  std::string text() const;  // inverse of parse
};

struct DatasetOptions {
  Compression compression;
  Shape chunk;              // empty: automatic, whole frames along axis 0
  bool extendable = false;  // axis 0 unlimited, so rows can be appended
};

template <typename T>
struct Array {
  Shape shape;
  std::vector<T> values;
  int64_t size() const { return static_cast<int64_t>(values.size()); }
};

struct DatasetInfo {
  std::string path;
  DType dtype = DType::other;
  std::string dtype_text;  // "uint8", or what an unknown type is ("int8", "compound")
  Shape shape;
  Shape chunk;                       // empty when contiguous
  std::vector<std::string> filters;  // "shuffle", "deflate(4)", "zstd(3)", "filter 307"
  int64_t storage_bytes = 0;
};

// Creates intermediate groups as needed. Throws if the dataset exists.
void create_dataset(File& file, const std::string& path, DType dtype, const Shape& shape,
                    const DatasetOptions& options = {});
// Writes rows [first, first + count) along axis 0 from contiguous C-order
// data whose element type must match the dataset's. Extendable datasets grow.
// Chunks the rows cover whole are compressed on the thread budget (-j).
void write_rows_raw(File& file, const std::string& path, int64_t first, int64_t count, DType dtype,
                    const void* data);
// Reads rows [first, first + count) into `out` (room for count rows). The
// chunks of a file open for reading are decoded on the thread budget (-j)
// where h5/chunk_reader handles their filters, else HDF5 reads them.
void read_rows_raw(const File& file, const std::string& path, int64_t first, int64_t count, DType dtype,
                   void* out);
// Reads the listed rows (any order, repeats allowed) into `out`, one after
// another: all their chunks are decoded together on the thread budget, so a
// reader of whole frames asks for several at once.
void read_row_list_raw(const File& file, const std::string& path, const std::vector<int64_t>& rows,
                       DType dtype, void* out);
DatasetInfo dataset_info(const File& file, const std::string& path);

template <typename T>
void write_rows(File& file, const std::string& path, int64_t first, int64_t count, const T* data) {
  write_rows_raw(file, path, first, count, dtype_of<T>(), data);
}

template <typename T>
void write(File& file, const std::string& path, const T* data, const Shape& shape,
           const DatasetOptions& options = {}) {
  create_dataset(file, path, dtype_of<T>(), shape, options);
  const int64_t rows = shape.empty() ? 1 : shape[0];
  write_rows_raw(file, path, 0, rows, dtype_of<T>(), data);
}

template <typename T>
void write(File& file, const std::string& path, const std::vector<T>& values, const Shape& shape,
           const DatasetOptions& options = {}) {
  write(file, path, values.data(), shape, options);
}

template <typename T>
Array<T> read_rows(const File& file, const std::string& path, int64_t first, int64_t count) {
  Array<T> array;
  array.shape = dataset_info(file, path).shape;
  if (!array.shape.empty()) array.shape[0] = count;
  array.values.resize(static_cast<size_t>(element_count(array.shape)));
  read_rows_raw(file, path, first, count, dtype_of<T>(), array.values.data());
  return array;
}

template <typename T>
Array<T> read(const File& file, const std::string& path) {
  const Shape shape = dataset_info(file, path).shape;
  return read_rows<T>(file, path, 0, shape.empty() ? 1 : shape[0]);
}

// Variable-length UTF-8 string datasets; `shape` defaults to 1-D, otherwise
// its element count must equal values.size() (C order).
void write_strings(File& file, const std::string& path, const std::vector<std::string>& values,
                   const Shape& shape = {});
std::vector<std::string> read_strings(const File& file, const std::string& path);

}  // namespace occ::h5
