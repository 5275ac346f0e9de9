// The parallel chunk path (h5/chunk_reader, h5/chunk_writer,
// h5/filter_pipeline) against HDF5 itself: files written through the HDF5 C
// API with each filter combination read back equal to H5Dread, on one and
// two threads; chunks occ writes are byte for byte the chunks HDF5's own
// filters store; damaged chunks are errors naming the file and dataset.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <zlib.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/threads.h"
#include "h5/chunk_reader.h"
#include "h5/chunk_writer.h"
#include "h5/dataset.h"
#include "h5/error_stack.h"
#include "h5/filter_pipeline.h"
#include "h5/row_batcher.h"
#include "h5/zstd_filter.h"
#include "support/damage.h"
#include "support/temp_dir.h"

namespace occ::h5 {
namespace {

struct Filters {
  bool shuffle = false, deflate = false, zstd = false, fletcher32 = false;
};

struct Case {
  std::string name;
  std::vector<hsize_t> shape, chunk;  // empty chunk: contiguous
  Filters filters;
};

// The cases of the issue: each filter alone and together, contiguous, and
// partial edge chunks along axis 0 and the inner axes.
std::vector<Case> cases() {
  return {
      {"/deflate", {7, 5, 6}, {3, 5, 6}, {false, true, false, false}},
      {"/zstd", {7, 5, 6}, {2, 5, 6}, {false, false, true, false}},
      {"/shuffle_deflate", {6, 40}, {1, 40}, {true, true, false, false}},
      {"/fletcher32", {5, 8}, {2, 8}, {false, false, false, true}},
      {"/occ_default", {9, 4, 3}, {4, 4, 3}, {true, true, false, true}},
      {"/zstd_shuffle_fletcher32", {9, 4, 3}, {4, 4, 3}, {true, false, true, true}},
      {"/inner_edges", {10, 9, 5}, {4, 4, 3}, {true, true, false, true}},
      {"/one_axis", {1000}, {128}, {true, true, false, true}},
      {"/contiguous", {6, 7}, {}, {}},
  };
}

template <typename T>
std::vector<T> values(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<T> out(n);
  // Runs of equal values with noise: compressible, but not trivially.
  T value = 0;
  for (auto& v : out) {
    if (rng() % 7 == 0) value = static_cast<T>(rng() % 200);
    v = static_cast<T>(value + static_cast<T>(rng() % 3));
  }
  return out;
}

template <typename T>
hid_t native() {
  return test::native_type<T>();
}

hid_t create_plist(const Case& c) {
  const hid_t create = H5Pcreate(H5P_DATASET_CREATE);
  if (!c.chunk.empty()) {
    H5Pset_chunk(create, static_cast<int>(c.chunk.size()), c.chunk.data());
    if (c.filters.shuffle) H5Pset_shuffle(create);
    if (c.filters.deflate) H5Pset_deflate(create, 5);
    if (c.filters.zstd) {
      const unsigned level = 3;
      H5Pset_filter(create, kZstdFilterId, H5Z_FLAG_MANDATORY, 1, &level);
    }
    if (c.filters.fletcher32) H5Pset_fletcher32(create);
  }
  return create;
}

size_t count_of(const std::vector<hsize_t>& shape) {
  size_t n = 1;
  for (hsize_t d : shape) n *= d;
  return n;
}

// Writes `data` with HDF5's own filters (H5Dwrite), the serial reference.
template <typename T>
void write_with_hdf5(hid_t file, const Case& c, const std::vector<T>& data) {
  const hid_t space = H5Screate_simple(static_cast<int>(c.shape.size()), c.shape.data(), nullptr);
  const hid_t create = create_plist(c);
  const hid_t dataset =
      H5Dcreate2(file, c.name.c_str(), native<T>(), space, H5P_DEFAULT, create, H5P_DEFAULT);
  ASSERT_GE(dataset, 0) << c.name;
  ASSERT_GE(H5Dwrite(dataset, native<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), 0) << c.name;
  H5Dclose(dataset);
  H5Pclose(create);
  H5Sclose(space);
}

template <typename T>
std::vector<T> read_with_hdf5(const std::string& path, const std::string& name, size_t n) {
  std::vector<T> out(n);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t dataset = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  EXPECT_GE(H5Dread(dataset, native<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), 0) << name;
  H5Dclose(dataset);
  H5Fclose(file);
  return out;
}

// Every stored chunk of a dataset: offset, filter mask and bytes.
struct Stored {
  std::vector<hsize_t> offset;
  unsigned mask = 0;
  std::vector<unsigned char> bytes;
  bool operator==(const Stored& o) const { return offset == o.offset && mask == o.mask && bytes == o.bytes; }
};

std::vector<Stored> stored_chunks(const std::string& path, const std::string& name) {
  std::vector<Stored> chunks;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t dataset = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  const hid_t space = H5Dget_space(dataset);
  hsize_t count = 0;
  H5Dget_num_chunks(dataset, space, &count);
  for (hsize_t i = 0; i < count; ++i) {
    Stored chunk;
    chunk.offset.resize(static_cast<size_t>(H5Sget_simple_extent_ndims(space)));
    haddr_t address = 0;
    hsize_t size = 0;
    H5Dget_chunk_info(dataset, space, i, chunk.offset.data(), &chunk.mask, &address, &size);
    chunk.bytes.resize(size);
    unsigned mask = 0;
    EXPECT_GE(H5Dread_chunk(dataset, H5P_DEFAULT, chunk.offset.data(), &mask, chunk.bytes.data()), 0);
    chunks.push_back(std::move(chunk));
  }
  H5Sclose(space);
  H5Dclose(dataset);
  H5Fclose(file);
  return chunks;
}

// Rows [first, first + count) of a C-order array with `row` elements per row.
template <typename T>
std::vector<T> rows_of(const std::vector<T>& all, size_t row, int64_t first, int64_t count) {
  return {all.begin() + static_cast<long>(row * static_cast<size_t>(first)),
          all.begin() + static_cast<long>(row * static_cast<size_t>(first + count))};
}

class ChunkPipeline : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ensure_initialized();
    set_thread_budget(GetParam());
  }
  void TearDown() override { set_thread_budget(0); }
};

template <typename T>
void check_reads_equal_hdf5(DType dtype, unsigned seed) {
  test::TempDir dir;
  const std::string path = dir.file("c.h5");
  std::vector<std::vector<T>> data;
  {
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    for (const auto& c : cases()) {
      data.push_back(values<T>(count_of(c.shape), seed++));
      write_with_hdf5(file, c, data.back());
    }
    H5Fclose(file);
  }
  const File file = File::open(path);
  const auto all = cases();
  for (size_t i = 0; i < all.size(); ++i) {
    const Case& c = all[i];
    const auto rows = static_cast<int64_t>(c.shape[0]);
    const size_t row = count_of(c.shape) / c.shape[0];
    const auto reference = read_with_hdf5<T>(path, c.name, count_of(c.shape));
    ASSERT_EQ(reference, data[i]) << c.name;
    // The chunk path itself takes every chunked case (the library functions
    // below would fall back to H5Dread silently).
    {
      const hid_t dataset = H5Dopen2(file.id(), c.name.c_str(), H5P_DEFAULT);
      std::vector<T> direct(count_of(c.shape));
      const std::vector<int64_t> shape(c.shape.begin(), c.shape.end());
      Handle type = make_type(dtype);
      const bool took =
          read_chunked_rows(dataset, type.id(), shape, {{0, rows}}, direct.data(), "reading " + c.name);
      H5Dclose(dataset);
      EXPECT_EQ(took, !c.chunk.empty()) << c.name;
      if (took) {
        EXPECT_EQ(direct, reference) << c.name;
      }
    }
    EXPECT_EQ(read<T>(file, c.name).values, reference) << c.name;
    for (const auto& [first, count] :
         std::vector<std::pair<int64_t, int64_t>>{{1, 2}, {rows - 1, 1}, {0, 1}}) {
      EXPECT_EQ(read_rows<T>(file, c.name, first, count).values, rows_of(reference, row, first, count))
          << c.name << " rows " << first << "+" << count;
    }
    const std::vector<int64_t> list = {rows - 1, 0, 0, 2, 3, 4};
    std::vector<T> listed(list.size() * row);
    read_row_list_raw(file, c.name, list, dtype, listed.data());
    for (size_t r = 0; r < list.size(); ++r) {
      EXPECT_EQ(rows_of(listed, row, static_cast<int64_t>(r), 1), rows_of(reference, row, list[r], 1))
          << c.name << " listed row " << list[r];
    }
  }
}

TEST_P(ChunkPipeline, ReadsEqualHdf5ForEveryFilterAndLayout) {
  check_reads_equal_hdf5<uint8_t>(DType::uint8, 1);
  check_reads_equal_hdf5<float>(DType::float32, 100);
  check_reads_equal_hdf5<int64_t>(DType::int64, 200);
}

TEST_P(ChunkPipeline, UnwrittenChunksReadAsTheFillValue) {
  test::TempDir dir;
  const std::string path = dir.file("c.h5");
  const Case c{"/sparse", {8, 4}, {2, 4}, {true, true, false, true}};
  {
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t space = H5Screate_simple(2, c.shape.data(), nullptr);
    const hid_t create = create_plist(c);
    const int fill = 9;
    H5Pset_fill_value(create, H5T_NATIVE_INT, &fill);
    const hid_t dataset =
        H5Dcreate2(file, c.name.c_str(), H5T_NATIVE_INT32, space, H5P_DEFAULT, create, H5P_DEFAULT);
    const hsize_t start[2] = {2, 0}, count[2] = {2, 4};
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr);
    const hid_t memory = H5Screate_simple(2, count, nullptr);
    const std::vector<int32_t> rows(8, 5);
    H5Dwrite(dataset, H5T_NATIVE_INT32, memory, space, H5P_DEFAULT, rows.data());
    H5Sclose(memory);
    H5Dclose(dataset);
    H5Pclose(create);
    H5Sclose(space);
    H5Fclose(file);
  }
  const File file = File::open(path);
  std::vector<int32_t> expected(32, 9);
  std::fill(expected.begin() + 8, expected.begin() + 16, 5);
  EXPECT_EQ(read<int32_t>(file, c.name).values, expected);
  EXPECT_EQ(read_rows<int32_t>(file, c.name, 2, 2).values, std::vector<int32_t>(8, 5))
      << "written chunk alone";
}

// occ's writer hands HDF5 chunks it filtered itself: the stored chunks are
// those HDF5's filters store for the same data, and read back equal.
template <typename T>
void check_writes_equal_hdf5(DType dtype) {
  test::TempDir dir;
  const std::string ours = dir.file("ours.h5"), theirs = dir.file("theirs.h5");
  const Case c{"/frames", {6, 30, 7}, {1, 30, 7}, {}};
  for (const std::string compression : {"deflate", "deflate:1", "zstd", "none"}) {
    const std::string name = "/" + compression;
    const auto data = values<T>(count_of(c.shape), 7);
    DatasetOptions options;
    options.compression = Compression::parse(compression);
    options.chunk = {1, 30, 7};
    {
      File file = File::create(ours, ours);
      const Shape shape(c.shape.begin(), c.shape.end());
      create_dataset(file, name, dtype, shape, options);
      // The chunk path itself writes all six whole chunks.
      Handle dataset(H5Dopen2(file.id(), name.c_str(), H5P_DEFAULT), H5Dclose);
      Handle type = make_type(dtype);
      const RowRange written = write_chunked_rows(dataset.id(), type.id(), shape, 0, 6, data.data(), name);
      EXPECT_EQ(written.first, 0) << compression;
      EXPECT_EQ(written.count, 6) << compression;
      file.close();
    }
    {
      // The serial reference: the same creation properties, H5Dwrite.
      File file = File::create(theirs, theirs);
      create_dataset(file, name, dtype, Shape(c.shape.begin(), c.shape.end()), options);
      Handle dataset(H5Dopen2(file.id(), name.c_str(), H5P_DEFAULT), H5Dclose);
      Handle type = make_type(dtype);
      ASSERT_GE(H5Dwrite(dataset.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), 0);
      dataset.close();
      file.close();
    }
    EXPECT_EQ(read_with_hdf5<T>(ours, name, data.size()), data) << compression;
    EXPECT_TRUE(stored_chunks(ours, name) == stored_chunks(theirs, name))
        << compression << ": stored bytes differ";
  }
}

TEST_P(ChunkPipeline, WritesTheChunksHdf5Writes) {
  check_writes_equal_hdf5<uint8_t>(DType::uint8);
  check_writes_equal_hdf5<float>(DType::float32);
  check_writes_equal_hdf5<double>(DType::float64);
}

TEST_P(ChunkPipeline, WritesOfPartChunksMixBothPaths) {
  test::TempDir dir;
  const std::string path = dir.file("w.h5");
  const auto data = values<int32_t>(11 * 6, 3);
  {
    File file = File::create(path, path);
    DatasetOptions options;
    options.chunk = {3, 6};
    options.extendable = true;
    create_dataset(file, "/rows", DType::int32, {0, 6}, options);
    // Rows 0..1 (part of chunk 0), 2..8 (chunk 0's end, whole chunks 1 and 2), 9..10 (the last, partial
    // chunk).
    write_rows(file, "/rows", 0, 2, data.data());
    write_rows(file, "/rows", 2, 7, data.data() + 2 * 6);
    write_rows(file, "/rows", 9, 2, data.data() + 9 * 6);
    file.close();
  }
  EXPECT_EQ(read_with_hdf5<int32_t>(path, "/rows", data.size()), data);
  EXPECT_EQ(read<int32_t>(File::open(path), "/rows").values, data);
}

// Rows held by a RowBatcher and written a few frames at a time end up as
// writing each at once stores them: whole-frame chunks, small rows batched
// into bigger chunks, rows that jump back, an extendable dataset.
TEST_P(ChunkPipeline, BatchedRowsEqualRowsWrittenAtOnce) {
  test::TempDir dir;
  const std::string batched = dir.file("batched.h5"), direct = dir.file("direct.h5");
  const auto frames = values<uint8_t>(10 * 16 * 8, 5);
  const auto times = values<int64_t>(10, 6);
  const auto points = values<float>(37 * 4, 8);
  for (const std::string& path : {batched, direct}) {
    File file = File::create(path, path);
    create_dataset(file, "/frames", DType::uint8, {10, 16, 8}, {Compression{}, {1, 16, 8}, false});
    create_dataset(file, "/time", DType::int64, {10});
    create_dataset(file, "/points", DType::float32, {0, 4}, {Compression{}, {8, 4}, true});
    RowBatcher rows(file, 3);
    int64_t point_rows = 0;
    for (int64_t row : {0, 1, 2, 3, 4, 9, 5, 6, 7, 8}) {  // row 9 out of order
      const int64_t n = row % 4 + 1;
      if (path == batched) {
        rows.add("/frames", row, 1, frames.data() + row * 128);
        rows.add("/time", row, 1, times.data() + row);
        rows.add("/points", point_rows, n, points.data() + point_rows * 4);
        rows.end_frame();
      } else {
        write_rows(file, "/frames", row, 1, frames.data() + row * 128);
        write_rows(file, "/time", row, 1, times.data() + row);
        write_rows(file, "/points", point_rows, n, points.data() + point_rows * 4);
      }
      point_rows += n;
    }
    rows.flush();
    file.close();
  }
  const auto point_count = static_cast<size_t>(read<float>(File::open(direct), "/points").values.size());
  EXPECT_EQ(read_with_hdf5<uint8_t>(batched, "/frames", frames.size()), frames);
  EXPECT_EQ(read_with_hdf5<int64_t>(batched, "/time", times.size()), times);
  EXPECT_EQ(read_with_hdf5<float>(batched, "/points", point_count),
            read_with_hdf5<float>(direct, "/points", point_count));
  EXPECT_TRUE(stored_chunks(batched, "/frames") == stored_chunks(direct, "/frames"));
}

INSTANTIATE_TEST_SUITE_P(Threads, ChunkPipeline, ::testing::Values(1, 2));

// A flipped bit in a stored chunk: with a checksum, its mismatch; without
// one, zlib's own check. Either way an error naming file and dataset.
TEST(ChunkPipelineDamage, FlippedBytesAreErrorsNamingTheDataset) {
  ensure_initialized();
  for (const bool checksum : {true, false}) {
    test::TempDir dir;
    const std::string path = dir.file("d.h5");
    const Case c{"/labels", {4, 64, 64}, {1, 64, 64}, {true, true, false, checksum}};
    {
      const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
      write_with_hdf5(file, c, values<uint8_t>(count_of(c.shape), 11));
      H5Fclose(file);
    }
    test::flip_stored_bytes(path, c.name);
    const File file = File::open(path);
    for (const int threads : {1, 2}) {
      set_thread_budget(threads);
      try {
        read<uint8_t>(file, c.name);
        ADD_FAILURE() << "a damaged chunk read without an error";
      } catch (const FormatError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("'/labels' in '" + path + "': stored data is damaged"), std::string::npos)
            << message;
        EXPECT_NE(message.find(checksum ? "Fletcher32" : "deflate stream"), std::string::npos) << message;
        EXPECT_NE(message.find("the chunk at (0, 0, 0)"), std::string::npos) << message;
      }
      EXPECT_EQ(read_rows<uint8_t>(file, c.name, 1, 3).values.size(), 3u * 64 * 64)
          << "other chunks still read";
    }
    set_thread_budget(0);
  }
}

// The deflate step on its own streams (zlib's compress2, as H5Zdeflate.c
// writes them): exact sizes decode; a stream that inflates to more or fewer
// bytes than the chunk, a truncated one and one whose Adler-32 trailer is
// wrong are named errors, whether deflate is the last step undone (straight
// into the output) or comes before shuffle.
TEST(FilterPipeline, DeflateStreamsOfTheWrongSizeOrChecksumAreErrors) {
  const auto data = values<uint8_t>(1000, 12);
  std::vector<unsigned char> stream(compressBound(data.size()));
  uLongf size = static_cast<uLongf>(stream.size());
  ASSERT_EQ(compress2(stream.data(), &size, data.data(), data.size(), 4), Z_OK);
  stream.resize(size);
  FilterPipeline deflate_only, shuffle_deflate;
  deflate_only.steps = {{H5Z_FILTER_DEFLATE, 0, {4}}};
  shuffle_deflate.steps = {{H5Z_FILTER_SHUFFLE, 0, {4}}, {H5Z_FILTER_DEFLATE, 0, {4}}};
  const auto error_of = [](const FilterPipeline& pipeline, std::vector<unsigned char> stored, size_t bytes) {
    try {
      decode_chunk(pipeline, 0, std::move(stored), bytes, "'/d' in 'f.h5'", "the chunk at (2)");
    } catch (const FormatError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  std::vector<unsigned char> unshuffled(data.size());  // shuffle of 4-byte elements, undone by hand
  for (size_t e = 0; e < 250; ++e) {
    for (size_t b = 0; b < 4; ++b) unshuffled[e * 4 + b] = data[b * 250 + e];
  }
  EXPECT_EQ(decode_chunk(deflate_only, 0, stream, 1000, "w", "c"), data);
  EXPECT_EQ(decode_chunk(shuffle_deflate, 0, stream, 1000, "w", "c"), unshuffled);
  const std::string damaged = "'/d' in 'f.h5': stored data is damaged (";
  EXPECT_EQ(error_of(deflate_only, stream, 999),
            damaged + "the chunk at (2) inflates to more than 999 bytes)");
  EXPECT_EQ(error_of(deflate_only, stream, 1001),
            damaged + "the chunk at (2) decodes to 1000 bytes, expected 1001)");
  EXPECT_EQ(error_of(shuffle_deflate, stream, 1004),
            damaged + "the chunk at (2) decodes to 1000 bytes, expected 1004)");
  EXPECT_EQ(error_of(shuffle_deflate, stream, 900),
            damaged + "the chunk at (2) inflates to more than 964 bytes)");
  const std::string bad_stream = damaged +
                                 "deflate stream does not inflate: invalid or truncated data or an "
                                 "Adler-32 mismatch in the chunk at (2))";
  // The last byte of the big-endian Adler-32 changed; half the stream.
  std::vector<unsigned char> wrong_sum(stream.begin(), stream.end() - 1),
      truncated(stream.begin(), stream.begin() + static_cast<long>(stream.size() / 2));
  wrong_sum.push_back(static_cast<unsigned char>(stream.back() ^ 1));
  for (const auto* pipeline : {&deflate_only, &shuffle_deflate}) {
    EXPECT_EQ(error_of(*pipeline, wrong_sum, 1000), bad_stream);
    EXPECT_EQ(error_of(*pipeline, truncated, 1000), bad_stream);
    EXPECT_EQ(error_of(*pipeline, {}, 1000), bad_stream);
  }
}

TEST(FilterPipeline, Fletcher32MatchesKnownValues) {
  // By hand from HDF5's definition (big-endian 16-bit words, an odd last
  // byte as a high byte): "abcde" is 0x6162, 0x6364, 0x6500. After the two
  // full words low = 0xC4C6, high = 0x12628 -> 0x2629; the odd byte makes
  // low 0x129C6 -> 0x29C7 and high 0x14FEF -> 0x4FF0.
  const std::string text = "abcde";
  EXPECT_EQ(fletcher32(reinterpret_cast<const unsigned char*>(text.data()), text.size()), 0x4FF029C7u);
  EXPECT_EQ(fletcher32(nullptr, 0), 0u);
}

}  // namespace
}  // namespace occ::h5
