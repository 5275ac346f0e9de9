#include "h5/dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "h5/atomic_file.h"
#include "support/damage.h"
#include "support/temp_dir.h"

namespace occ::h5 {
namespace {

template <typename T>
std::vector<T> ramp(int64_t n) {
  std::vector<T> values(n);
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, Half>) {
      values[i] = float_to_half(static_cast<float>(i) * 0.25f - 2.0f);
    } else {
      values[i] = static_cast<T>(i * 3 + 1);
    }
  }
  return values;
}

template <typename T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
  if constexpr (std::is_same_v<T, Half>) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].bits != b[i].bits) return false;
    }
    return true;
  } else {
    return a == b;
  }
}

template <typename T>
class DatasetRoundTrip : public ::testing::Test {};
using StoredTypes = ::testing::Types<uint8_t, uint16_t, int32_t, int64_t, Half, float, double>;
TYPED_TEST_SUITE(DatasetRoundTrip, StoredTypes);

TYPED_TEST(DatasetRoundTrip, EveryCompressionReadsBackExactly) {
  test::TempDir dir;
  const Shape shape{4, 3, 5, 2};
  const auto values = ramp<TypeParam>(element_count(shape));
  for (const std::string compression : {"none", "deflate", "deflate:9", "zstd", "zstd:12"}) {
    const std::string path = dir.file(compression + ".h5");
    {
      File file = File::create(path, path);
      DatasetOptions options;
      options.compression = Compression::parse(compression);
      write(file, "/group/values", values, shape, options);
      file.close();
    }
    const File file = File::open(path);
    const auto array = read<TypeParam>(file, "/group/values");
    EXPECT_EQ(array.shape, shape) << compression;
    EXPECT_TRUE(same(array.values, values)) << compression;
    const DatasetInfo info = dataset_info(file, "/group/values");
    EXPECT_EQ(info.dtype, dtype_of<TypeParam>());
    EXPECT_EQ(info.chunk.size(), shape.size()) << "chunked along frames";
    if (compression == "none") {
      EXPECT_EQ(info.filters, std::vector<std::string>{"fletcher32"}) << "no compression, still a checksum";
    }
    if (compression.rfind("deflate", 0) == 0) {
      EXPECT_EQ(info.filters.at(0), "shuffle");
      EXPECT_EQ(info.filters.at(1).rfind("deflate(", 0), 0u);
    }
    if (compression == "zstd:12") {
      EXPECT_EQ(info.filters.at(1), "zstd(12)");
    }
    // One row (a frame) at a time, as streaming readers do.
    const auto row = read_rows<TypeParam>(file, "/group/values", 2, 1);
    EXPECT_EQ(row.shape, (Shape{1, 3, 5, 2}));
    EXPECT_TRUE(same(row.values, std::vector<TypeParam>(values.begin() + 60, values.begin() + 90)));
  }
}

TEST(Dataset, ReadIsStrictAboutDtype) {
  test::TempDir dir;
  const std::string path = dir.file("f.h5");
  {
    File file = File::create(path, path);
    write(file, "/x", std::vector<double>{1, 2}, {2});
    file.close();
  }
  const File file = File::open(path);
  try {
    read<float>(file, "/x");
    FAIL() << "float64 read as float32";
  } catch (const FormatError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'/x'"), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("float64, expected float32"), std::string::npos) << message;
  }
  EXPECT_THROW(read<double>(file, "/missing"), FormatError);
}

TEST(Dataset, ExtendableDatasetsGrowRowByRow) {
  test::TempDir dir;
  const std::string path = dir.file("f.h5");
  {
    File file = File::create(path, path);
    DatasetOptions options;
    options.extendable = true;
    create_dataset(file, "/frames", DType::int32, {0, 2}, options);
    for (int32_t i = 0; i < 5; ++i) {
      const int32_t row[2] = {i, -i};
      write_rows(file, "/frames", i, 1, row);
    }
    file.close();
  }
  const auto array = read<int32_t>(File::open(path), "/frames");
  EXPECT_EQ(array.shape, (Shape{5, 2}));
  EXPECT_EQ(array.values, (std::vector<int32_t>{0, 0, 1, -1, 2, -2, 3, -3, 4, -4}));
}

TEST(Dataset, FixedDatasetsRefuseRowsBeyondTheirEnd) {
  test::TempDir dir;
  const std::string path = dir.file("f.h5");
  File file = File::create(path, path);
  write(file, "/x", std::vector<uint8_t>{1, 2, 3}, {3});
  const uint8_t extra = 4;
  EXPECT_THROW(write_rows(file, "/x", 3, 1, &extra), Error);
  EXPECT_THROW(read_rows<uint8_t>(file, "/x", 2, 2), FormatError);
}

TEST(Dataset, EmptyAndScalarShapes) {
  test::TempDir dir;
  const std::string path = dir.file("f.h5");
  {
    File file = File::create(path, path);
    write(file, "/empty", std::vector<float>{}, {0, 3});
    write(file, "/inner_empty", std::vector<float>{}, {2, 0});
    write(file, "/scalar", std::vector<double>{2.5}, {});
    write_strings(file, "/no_names", {});
    write_strings(file, "/grid", {"a", "b", "c", "d", "e", "f"}, {2, 3});
    file.close();
  }
  const File file = File::open(path);
  EXPECT_EQ(read<float>(file, "/empty").shape, (Shape{0, 3}));
  EXPECT_EQ(read<float>(file, "/inner_empty").shape, (Shape{2, 0}));
  const auto scalar = read<double>(file, "/scalar");
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.values, std::vector<double>{2.5});
  EXPECT_TRUE(read_strings(file, "/no_names").empty());
  EXPECT_EQ(read_strings(file, "/grid"), (std::vector<std::string>{"a", "b", "c", "d", "e", "f"}));
  EXPECT_EQ(dataset_info(file, "/grid").shape, (Shape{2, 3}));
}

TEST(Dataset, StringsKeepUtf8) {
  test::TempDir dir;
  const std::string path = dir.file("f.h5");
  const std::vector<std::string> names{"CAM_FRONT", "scène-0103", ""};
  {
    File file = File::create(path, path);
    write_strings(file, "/names", names);
    file.close();
  }
  EXPECT_EQ(read_strings(File::open(path), "/names"), names);
}

TEST(Dataset, AutomaticChunksHoldWholeFrames) {
  test::TempDir dir;
  const std::string path = dir.file("f.h5");
  File file = File::create(path, path);
  write(file, "/images", std::vector<uint8_t>(3 * 2 * 300 * 400 * 3), {3, 2, 300, 400, 3});
  write(file, "/timestamps", std::vector<int64_t>(1000), {1000});
  EXPECT_EQ(dataset_info(file, "/images").chunk, (Shape{1, 2, 300, 400, 3}));
  // Small rows are batched, never split.
  EXPECT_EQ(dataset_info(file, "/timestamps").chunk, (Shape{1000}));
}

DatasetOptions compressed(const std::string& text) {
  DatasetOptions options;
  options.compression = Compression::parse(text);
  return options;
}

TEST(Dataset, EveryChunkedDatasetCarriesAChecksum) {
  test::TempDir dir;
  const std::string path = dir.file("f.h5");
  File file = File::create(path, path);
  write(file, "/small", std::vector<double>(3, 1.0), {3});
  write(file, "/plain", std::vector<float>(40, 2.0f), {10, 4}, compressed("none"));
  write(file, "/zstd", std::vector<int32_t>(40, 7), {10, 4}, compressed("zstd"));
  EXPECT_EQ(dataset_info(file, "/small").filters,
            (std::vector<std::string>{"shuffle", "deflate(4)", "fletcher32"}));
  EXPECT_EQ(dataset_info(file, "/plain").filters, (std::vector<std::string>{"fletcher32"}));
  EXPECT_EQ(dataset_info(file, "/zstd").filters.back(), "fletcher32");
}

TEST(Dataset, DamagedStoredBytesAreAnErrorNamingFileAndDataset) {
  for (const std::string compression : {"none", "deflate", "zstd"}) {
    test::TempDir dir;
    const std::string path = dir.file("f.h5");
    {
      File file = File::create(path, path);
      write(file, "/poses", ramp<double>(64 * 16), {64, 4, 4}, compressed(compression));
      write(file, "/other", ramp<double>(16), {16});
      file.close();
    }
    test::flip_stored_bytes(path, "/poses");
    const File file = File::open(path);
    EXPECT_EQ(read<double>(file, "/other").values, ramp<double>(16)) << "an intact dataset still reads";
    try {
      read<double>(file, "/poses");
      FAIL() << compression << ": damaged data read without an error";
    } catch (const FormatError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find(path), std::string::npos) << message;
      EXPECT_NE(message.find("'/poses'"), std::string::npos) << message;
      EXPECT_NE(message.find("damaged"), std::string::npos) << message;
      EXPECT_NE(message.find("Fletcher32"), std::string::npos) << message;
    }
  }
}

TEST(Compression, ParsesNamesAndLevels) {
  EXPECT_EQ(Compression::parse("none").kind, Compression::Kind::none);
  EXPECT_EQ(Compression::parse("deflate").level, 4);
  EXPECT_EQ(Compression::parse("deflate:9").level, 9);
  EXPECT_EQ(Compression::parse("zstd").level, 3);
  EXPECT_EQ(Compression::parse("zstd:19").text(), "zstd:19");
  for (const char* bad : {"gzip", "zstd:0", "zstd:23", "deflate:10", "deflate:", "deflate:x", "none:1", ""}) {
    EXPECT_THROW(Compression::parse(bad), UsageError) << bad;
  }
}

TEST(Half, ConvertsExactlyAndRoundsToNearestEven) {
  for (float value :
       {0.0f, 1.0f, -2.5f, 0.333251953125f, 65504.0f, 6.103515625e-05f, 5.960464477539063e-08f}) {
    EXPECT_EQ(half_to_float(float_to_half(value)), value) << value;
  }
  EXPECT_EQ(float_to_half(1.0f).bits, 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f).bits, 0xc000);
  EXPECT_EQ(float_to_half(65520.0f).bits, 0x7c00) << "overflow to infinity";
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048).bits, 0x3c00) << "tie rounds to even";
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048).bits, 0x3c02) << "tie rounds to even";
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isinf(half_to_float(float_to_half(std::numeric_limits<float>::infinity()))));
  // Every one of the 65536 bit patterns that is not NaN survives half -> float -> half.
  for (uint32_t bits = 0; bits < 65536; ++bits) {
    const Half half{static_cast<uint16_t>(bits)};
    const float value = half_to_float(half);
    if (std::isnan(value)) continue;
    ASSERT_EQ(float_to_half(value).bits, half.bits) << bits;
  }
}

}  // namespace
}  // namespace occ::h5
