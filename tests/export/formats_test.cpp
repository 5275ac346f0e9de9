// Byte-level checks of the containers the export formats are built from:
// NPY headers, pickle opcodes, zip archives, bit packing, safetensors headers,
// PLY files and all-or-nothing output folders.
#include <gtest/gtest.h>
#include <zip.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "export/npy.h"
#include "export/output_folder.h"
#include "export/pickle_writer.h"
#include "export/ply.h"
#include "export/safetensors.h"
#include "export/semantickitti.h"
#include "export/torch_archive.h"
#include "export/zip_writer.h"
#include "support/temp_dir.h"

namespace occ::exporting {
namespace {

TEST(Npy, HeaderIsPaddedToSixtyFourBytesAndNamesDtypeAndShape) {
  const std::string header = npy_header("|u1", {200, 200, 16});
  EXPECT_EQ(header.size() % 64, 0u);
  EXPECT_EQ(header.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t length = static_cast<uint8_t>(header[8]) | (static_cast<uint8_t>(header[9]) << 8);
  EXPECT_EQ(length + 10, header.size());
  EXPECT_NE(header.find("{'descr': '|u1', 'fortran_order': False, 'shape': (200, 200, 16), }"),
            std::string::npos);
  EXPECT_EQ(header.back(), '\n');
  // A 1-tuple keeps its comma, or Python reads an int.
  EXPECT_NE(npy_header("<f2", {5}).find("'shape': (5,)"), std::string::npos);
}

TEST(Npy, BytesAppendTheRawData) {
  const uint8_t data[3] = {7, 8, 9};
  const std::string bytes = npy_bytes("|u1", {3}, data, 3);
  EXPECT_EQ(bytes.substr(bytes.size() - 3), std::string("\x07\x08\x09", 3));
}

TEST(Pickle, IntegersUseTheSmallestOpcode) {
  PickleWriter pickle(2);
  pickle.integer(5);
  pickle.integer(-1);
  pickle.integer(int64_t{1} << 40);
  pickle.stop();
  const std::string bytes = pickle.take();
  const std::string expected = std::string("\x80\x02K\x05J\xff\xff\xff\xff\x8a\x08", 11) +
                               std::string("\x00\x00\x00\x00\x00\x01\x00\x00", 8) + ".";
  EXPECT_EQ(bytes, expected);
}

TEST(Pickle, TextIsLengthPrefixedUtf8) {
  PickleWriter pickle(3);
  pickle.text("pcd_cls");
  EXPECT_EQ(pickle.take(), std::string("\x80\x03X\x07\x00\x00\x00pcd_cls", 14));
}

TEST(Pickle, BytesNeedProtocolThree) {
  PickleWriter pickle(2);
  EXPECT_THROW(pickle.bytes("a", 1), Error);
}

TEST(Zip, EntriesAreWrittenWithTheirMethod) {
  test::TempDir dir;
  const std::string path = dir.file("a.zip");
  ZipWriter writer(path, path);
  writer.add("stored", std::string(1000, 'a'), ZipWriter::Method::store);
  writer.add("deflated", std::string(1000, 'b'), ZipWriter::Method::deflate);
  writer.close();
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &error);
  ASSERT_NE(archive, nullptr);
  zip_stat_t stat;
  ASSERT_EQ(zip_stat(archive, "stored", 0, &stat), 0);
  EXPECT_EQ(stat.comp_method, ZIP_CM_STORE);
  EXPECT_EQ(stat.size, 1000u);
  ASSERT_EQ(zip_stat(archive, "deflated", 0, &stat), 0);
  EXPECT_EQ(stat.comp_method, ZIP_CM_DEFLATE);
  EXPECT_LT(stat.comp_size, 100u);
  zip_close(archive);
}

TEST(BitPacking, MostSignificantBitFirstLikeNumpyPackbits) {
  const std::vector<uint8_t> values{1, 0, 0, 0, 0, 0, 0, 1, 0, 1};
  const std::vector<uint8_t> packed = pack_bits(values);
  ASSERT_EQ(packed.size(), 2u);
  EXPECT_EQ(packed[0], 0x81);
  EXPECT_EQ(packed[1], 0x40);
  EXPECT_EQ(unpack_bits(packed, values.size()), values);
}

TEST(Safetensors, HeaderIsAlignedAndDescribesContiguousTensors) {
  std::vector<NamedTensor> tensors(2);
  tensors[0].name = "a.weight";
  tensors[0].dtype = h5::DType::float32;
  tensors[0].shape = {2, 3};
  tensors[0].data.assign(24, '\0');
  tensors[1].name = "a.bias";
  tensors[1].dtype = h5::DType::float16;
  tensors[1].shape = {3};
  tensors[1].data.assign(6, '\0');
  const std::string header = safetensors_header(tensors, {{"format", "pt"}});
  uint64_t size = 0;
  for (int i = 0; i < 8; ++i) size |= static_cast<uint64_t>(static_cast<uint8_t>(header[i])) << (8 * i);
  EXPECT_EQ(size + 8, header.size());
  EXPECT_EQ(header.size() % 8, 0u);
  const auto json = nlohmann::json::parse(header.substr(8));
  EXPECT_EQ(json["a.weight"]["dtype"], "F32");
  EXPECT_EQ(json["a.weight"]["data_offsets"], nlohmann::json::array({0, 24}));
  EXPECT_EQ(json["a.bias"]["dtype"], "F16");
  EXPECT_EQ(json["a.bias"]["shape"], nlohmann::json::array({3}));
  EXPECT_EQ(json["a.bias"]["data_offsets"], nlohmann::json::array({24, 30}));
  EXPECT_EQ(json["__metadata__"]["format"], "pt");
}

TEST(Torch, StorageClassesFollowTheDtype) {
  EXPECT_EQ(torch_storage_class(h5::DType::float32), "FloatStorage");
  EXPECT_EQ(torch_storage_class(h5::DType::float16), "HalfStorage");
  EXPECT_EQ(torch_storage_class(h5::DType::int64), "LongStorage");
  EXPECT_THROW(torch_storage_class(h5::DType::uint16), FormatError);
}

TEST(Ply, OneVertexPerOccupiedVoxelAtItsCentre) {
  geom::VoxelGrid geometry;
  geometry.shape = {2, 2, 2};
  geometry.origin_m = {-1, -1, 0};
  geometry.voxel_size_m = {1, 1, 0.5};
  std::vector<uint8_t> classes(8, 17);
  classes[(1 * 2 + 0) * 2 + 1] = 4;  // x=1, y=0, z=1: a car
  const std::string bytes = ply_bytes(
      geometry, classes, 17,
      viz::class_colours(std::vector<std::string>{"others", "barrier", "bicycle", "bus", "car"}), "test");
  const std::string end = "end_header\n";
  const size_t body = bytes.find(end) + end.size();
  EXPECT_NE(bytes.find("format binary_little_endian 1.0\n"), std::string::npos);
  EXPECT_NE(bytes.find("element vertex 1\n"), std::string::npos);
  ASSERT_EQ(bytes.size() - body, 16u);  // 3 floats, 3 colour bytes, 1 label
  float xyz[3];
  std::memcpy(xyz, bytes.data() + body, 12);
  EXPECT_FLOAT_EQ(xyz[0], 0.5f);
  EXPECT_FLOAT_EQ(xyz[1], -0.5f);
  EXPECT_FLOAT_EQ(xyz[2], 0.75f);
  EXPECT_EQ(static_cast<uint8_t>(bytes[body + 12]), 0);  // car: (0, 150, 245)
  EXPECT_EQ(static_cast<uint8_t>(bytes[body + 13]), 150);
  EXPECT_EQ(static_cast<uint8_t>(bytes[body + 14]), 245);
  EXPECT_EQ(static_cast<uint8_t>(bytes[body + 15]), 4);
}

TEST(Palette, SemanticKittiNamesGetTheirOwnColours) {
  const auto palette = viz::class_colours({"empty", "car", "road"});
  EXPECT_EQ(palette[1], (Rgb{100, 150, 245}));  // color_map 10: BGR [245, 150, 100]
  EXPECT_EQ(palette[2], (Rgb{255, 0, 255}));
}

TEST(OutputFolder, CommitRenamesAndFailureLeavesNothing) {
  test::TempDir dir;
  const std::string out = dir.file("out");
  {
    OutputFolder folder(out);
    std::ofstream(folder.file("a/b.txt")) << "x";
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  EXPECT_TRUE(dir.entries().empty()) << "an uncommitted folder is removed";
  {
    OutputFolder folder(out);
    std::ofstream(folder.file("a/b.txt")) << "x";
    folder.commit();
  }
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/a/b.txt")));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out"});
  EXPECT_THROW(OutputFolder{out}, IoError) << "a non-empty folder is never overwritten";
  std::filesystem::remove_all(out);
  std::filesystem::create_directory(out);
  OutputFolder replaced(out);
  replaced.commit();
}

}  // namespace
}  // namespace occ::exporting
