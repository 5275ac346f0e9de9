// NPY parsing and NPZ archives, stored and deflated, including the real
// Occ3D labels.npz fixture written by numpy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "datasets/learning_map.h"
#include "datasets/npy.h"
#include "support/temp_dir.h"

namespace occ::npy {
namespace {

std::vector<uint8_t> npy_bytes(const std::string& header, const std::vector<uint8_t>& data) {
  std::string text = "\x93NUMPY";
  text += '\x01';
  text += '\x00';
  text += static_cast<char>(header.size());
  text += '\x00';
  text += header;
  text.append(data.begin(), data.end());
  return std::vector<uint8_t>(text.begin(), text.end());
}

TEST(Npy, ParsesHeaderAndTransposesFortranOrder) {
  const auto bytes =
      npy_bytes("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }\n", {1, 4, 2, 5, 3, 6});
  const Array array = parse(bytes.data(), bytes.size(), "test");
  EXPECT_EQ(array.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(array.bytes, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
}

TEST(Npy, SerialiseRoundTripsAndAlignsData) {
  const Array array = make_float32({2, 2}, {1.5f, -2.0f, 0.25f, 8.0f});
  const auto bytes = serialise(array);
  EXPECT_EQ((bytes.size() - 16) % 64, 0u);  // 64-byte aligned data, as numpy writes
  const Array back = parse(bytes.data(), bytes.size(), "test");
  EXPECT_EQ(back.shape, array.shape);
  EXPECT_EQ(back.as_float("test"), (std::vector<float>{1.5f, -2.0f, 0.25f, 8.0f}));
}

TEST(Npy, LabelsFromWiderIntegersAreRangeChecked) {
  const auto int64 = npy_bytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n",
                               {17, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(parse(int64.data(), int64.size(), "test").as_labels("test"), (std::vector<uint8_t>{17, 3}));
  const auto negative =
      npy_bytes("{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }\n", {0xff, 0xff});
  EXPECT_THROW(parse(negative.data(), negative.size(), "test").as_labels("test"), FormatError);
  const auto wide = npy_bytes("{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }\n", {0, 1});
  EXPECT_THROW(parse(wide.data(), wide.size(), "test").as_labels("test"), FormatError);  // 256
  EXPECT_THROW(make_float32({1}, {1.0f}).as_labels("test"), FormatError);
}

TEST(Npy, RejectsWhatItCannotRead) {
  const auto big_endian =
      npy_bytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n", {0, 0, 0, 0});
  EXPECT_THROW(parse(big_endian.data(), big_endian.size(), "test"), FormatError);
  const auto truncated = npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (8,), }\n", {1, 2});
  EXPECT_THROW(parse(truncated.data(), truncated.size(), "test"), FormatError);
  const uint8_t not_npy[] = "PK\x03\x04 not an array";
  EXPECT_THROW(parse(not_npy, sizeof not_npy, "test"), FormatError);
  const Array floats = make_float32({1}, {1.0f});
  EXPECT_THROW(floats.as_uint8("'x.npy'"), FormatError);
}

// Headers fuzz_npy found (scripts/fuzz.sh) or that sit beside them: each is
// a FormatError naming the input, never another exception or an overflow.
TEST(Npy, MalformedHeadersFromFuzzingAreFormatErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // The first crash: an item size that is not a number threw std::invalid_argument from std::stoi.
      {"{'descr': '<f\xf5\xf5\xf5\xf5"
       "2', 'fortran_order': False, 'shape': (1,), }\n",
       "unsupported npy dtype"},
      {"{'descr': '<f', 'fortran_order': False, 'shape': (1,), }\n", "unsupported npy dtype"},
      {"{'descr': '<f99999999999', 'fortran_order': False, 'shape': (1,), }\n", "unsupported npy dtype"},
      {"{'descr': '<u3', 'fortran_order': False, 'shape': (1,), }\n", "unsupported npy dtype"},
      // An extent beyond int64 (std::out_of_range from std::stoll before).
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999999,), }\n", "too large"},
      // Extents whose product overflows (undefined behaviour before).
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }\n", "truncated"},
  };
  for (const auto& [header, expected] : cases) {
    const auto bytes = npy_bytes(header, {1, 2, 3, 4, 5, 6, 7, 8});
    try {
      parse(bytes.data(), bytes.size(), "'fuzz.npy'");
      ADD_FAILURE() << header << " parsed";
    } catch (const FormatError& error) {
      EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("'fuzz.npy'"), std::string::npos) << error.what();
    }
  }
  // A zero extent makes an empty array whatever the others claim (and
  // converting it passed a null pointer to memcpy, found by UBSan).
  const auto empty =
      npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 0, 4294967296), }\n", {});
  const Array array = parse(empty.data(), empty.size(), "'fuzz.npy'");
  EXPECT_EQ(array.count(), 0);
  EXPECT_TRUE(array.as_float("'fuzz.npy'").empty());
}

TEST(Npz, WritesAndReadsStoredAndDeflatedArchives) {
  test::TempDir dir;
  std::vector<uint8_t> labels(200);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<uint8_t>(i % 18);
  for (bool compress : {false, true}) {
    const std::string path = dir.file(compress ? "deflated.npz" : "stored.npz");
    write_npz(path, {{"arr_0", make_uint8({10, 20}, labels)}, {"flow", make_float32({2}, {0.5f, -1.0f})}},
              compress);
    const NpzReader npz(path);
    EXPECT_EQ(npz.names(), (std::vector<std::string>{"arr_0", "flow"}));
    EXPECT_EQ(npz.read("arr_0").as_uint8("test"), labels);
    EXPECT_EQ(npz.read("flow").as_float("test"), (std::vector<float>{0.5f, -1.0f}));
    EXPECT_THROW(npz.read("semantics"), FormatError);
  }
  EXPECT_THROW(NpzReader(dir.file("missing.npz")), IoError);
}

// fuzz_npz (scripts/fuzz.sh) found an archive whose directory claims 2.5 GB
// for an entry of 74 deflated bytes: the reader allocated the claim before
// reading. Such an entry is now a FormatError naming the file and entry.
TEST(Npz, SizesTheStoredBytesCannotHoldAreRefusedBeforeAllocating) {
  test::TempDir dir;
  for (bool compress : {false, true}) {
    // Claims of the uncompressed size alone, then of the stored size too
    // (beyond the end of the file).
    for (bool stored_too : {false, true}) {
      const std::string path =
          dir.file(std::string(compress ? "deflated" : "stored") + (stored_too ? "2" : "") + ".npz");
      write_npz(path, {{"semantics", make_uint8({4, 4}, std::vector<uint8_t>(16, 17))}}, compress);
      std::string bytes;
      {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
      // Sizes: compressed at offset 18 and uncompressed at 22 of the local
      // header, 20 and 24 of the central one.
      const auto claim = [&](size_t at) { std::memcpy(&bytes[at], "\x00\x00\x00\xa0", 4); };
      const size_t local = bytes.find("PK\x03\x04"), central = bytes.find("PK\x01\x02");
      ASSERT_NE(local, std::string::npos);
      ASSERT_NE(central, std::string::npos);
      claim(local + 22);
      claim(central + 24);
      if (stored_too) {
        claim(local + 18);
        claim(central + 20);
      }
      std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
      try {
        const NpzReader npz(path);
        npz.read("semantics");
        ADD_FAILURE() << path << " was read";
      } catch (const FormatError& error) {
        EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
        // Refused before reading (a short read after allocating would fail too).
        EXPECT_NE(std::string(error.what()).find(stored_too ? "damaged" : "claims 2684354560 bytes"),
                  std::string::npos)
            << error.what();
      }
    }
  }
}

TEST(Npz, ReadsTheRealOcc3dLabels) {
  const NpzReader npz(std::string(OCC_FIXTURES_DIR) +
                      "/occ3d_nuscenes/gts/29796060110c4163b07f06eff4af0753/labels.npz");
  EXPECT_EQ(npz.names(), (std::vector<std::string>{"semantics", "mask_lidar", "mask_camera"}));
  const Array semantics = npz.read("semantics");
  EXPECT_EQ(semantics.shape, (std::vector<int64_t>{200, 200, 16}));
  const auto labels = semantics.as_uint8("test");
  EXPECT_EQ(std::count(labels.begin(), labels.end(), 17), 600908);  // formats.md
  const auto lidar = npz.read("mask_lidar").as_uint8("test");
  const auto camera = npz.read("mask_camera").as_uint8("test");
  EXPECT_EQ(std::count(lidar.begin(), lidar.end(), 1), 56601);
  EXPECT_EQ(std::count(camera.begin(), camera.end(), 1), 43355);
}

TEST(LearningMap, CompletionLookupFollowsTheOfficialRemap) {
  const auto map =
      datasets::read_learning_map(std::string(OCC_FIXTURES_DIR) + "/semantickitti/semantic-kitti.yaml");
  EXPECT_EQ(map.at(10), 1);   // car
  EXPECT_EQ(map.at(252), 1);  // moving-car
  const auto lut = datasets::completion_lut(map);
  EXPECT_EQ(lut.size(), 259u + 100u);
  EXPECT_EQ(lut[0], 0);    // empty stays empty
  EXPECT_EQ(lut[1], 255);  // outlier -> 0 -> invalid
  EXPECT_EQ(lut[52], 255);
  EXPECT_EQ(lut[10], 1);
  EXPECT_EQ(lut[40], 9);  // road
  EXPECT_EQ(lut[300], 255);
}

}  // namespace
}  // namespace occ::npy
