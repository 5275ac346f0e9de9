// occ prep synth through the binary: a valid frames file, the same bytes for
// the same seed, usage errors (exit 2, nothing written) for nonsense.
#include <gtest/gtest.h>

#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "support/run.h"

namespace occ::test {
namespace {

std::vector<std::string> synth_command(const std::string& output, const std::string& seed) {
  return {OCC_BINARY, "prep",     "synth", "-o",           output,  "--scenes", "1",  "--frames-per-scene",
          "2",        "--sweeps", "1",     "--image-size", "16x32", "--seed",   seed, "-q",
          "-j",       "2"};
}

std::vector<char> dataset_bytes(const h5::File& file, const std::string& path) {
  const auto info = h5::dataset_info(file, path);
  std::vector<char> bytes;
  if (info.dtype == h5::DType::string) {
    for (const auto& text : h5::read_strings(file, path))
      bytes.insert(bytes.end(), text.begin(), text.end() + 1);
    return bytes;
  }
  const int64_t rows = info.shape.empty() ? 1 : info.shape[0];
  bytes.resize(size_t(h5::element_count(info.shape)) * h5::dtype_size(info.dtype));
  if (rows > 0) h5::read_rows_raw(file, path, 0, rows, info.dtype, bytes.data());
  return bytes;
}

TEST(PrepSynth, WritesAValidFramesFile) {
  TempDir dir;
  const std::string path = dir.file("synth.h5");
  const RunResult result = run(synth_command(path, "5"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.err.empty()) << result.err;
  const h5::File file = h5::open_artifact(path, "frames");  // validates against the schema
  EXPECT_EQ(h5::read_string_attribute(file, "/", "dataset"), "synth");
  EXPECT_EQ(h5::read_int_attribute(file, "/", "free_class"), 17);
  EXPECT_EQ(h5::read_int_list_attribute(file, "/", "grid_shape"), (std::vector<int64_t>{200, 200, 16}));
  EXPECT_EQ(h5::read_string_list_attribute(file, "/", "camera_names").size(), 6u);
  // 2 keyframes with one sweep between them.
  EXPECT_EQ(h5::dataset_info(file, "/cameras/image").shape, (h5::Shape{3, 6, 16, 32, 3}));
  EXPECT_EQ(h5::read<uint8_t>(file, "/frames/is_keyframe").values, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(h5::read<int32_t>(file, "/frames/prev").values, (std::vector<int32_t>{-1, 0, 1}));
  EXPECT_EQ(h5::read<int32_t>(file, "/frames/next").values, (std::vector<int32_t>{1, 2, -1}));
  const auto offsets = h5::read<int64_t>(file, "/lidar/offsets").values;
  ASSERT_EQ(offsets.size(), 4u);
  EXPECT_EQ(offsets.back(), h5::dataset_info(file, "/lidar/points").shape[0]);
  for (size_t i = 1; i < offsets.size(); ++i) EXPECT_GT(offsets[i], offsets[i - 1] + 10000);
  const auto box_offsets = h5::read<int64_t>(file, "/boxes/offsets").values;
  EXPECT_EQ(box_offsets.back(), h5::dataset_info(file, "/boxes/class").shape[0]);
  EXPECT_GT(box_offsets.back(), 10);
  const auto inspect = run({OCC_BINARY, "inspect", "--validate", path});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
}

TEST(PrepSynth, KittiRigWithACustomGrid) {
  TempDir dir;
  const std::string path = dir.file("kitti.h5");
  const RunResult result =
      run({OCC_BINARY, "prep", "synth", "-o", path, "--rig", "kitti", "--scenes", "1", "--frames-per-scene",
           "1", "--image-size", "24x80", "--grid", "64,64,8,0.8,0,-25.6,-2", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const h5::File file = h5::open_artifact(path, "frames");
  EXPECT_EQ(h5::read_int_attribute(file, "/", "free_class"), 0);
  EXPECT_EQ(h5::read_string_list_attribute(file, "/", "class_names").size(), 20u);
  EXPECT_EQ(h5::read_string_list_attribute(file, "/", "camera_names"), (std::vector<std::string>{"CAM_2"}));
  EXPECT_EQ(h5::read_float_list_attribute(file, "/", "voxel_size_m"), (std::vector<double>{0.8, 0.8, 0.8}));
  EXPECT_EQ(h5::dataset_info(file, "/occupancy/semantics").shape, (h5::Shape{1, 64, 64, 8}));
  EXPECT_EQ(h5::dataset_info(file, "/cameras/image").shape, (h5::Shape{1, 1, 24, 80, 3}));
  // The road under the KITTI ego (1.73 m below the Velodyne) is occupied.
  const auto semantics = h5::read<uint8_t>(file, "/occupancy/semantics").values;
  int occupied = 0;
  for (uint8_t id : semantics) occupied += id != 0;
  EXPECT_GT(occupied, 64 * 64 / 2);
}

TEST(PrepSynth, SameSeedSameBytesOtherSeedOtherWorld) {
  TempDir dir;
  const std::string a = dir.file("a.h5"), b = dir.file("b.h5"), c = dir.file("c.h5");
  ASSERT_EQ(run(synth_command(a, "11")).exit_code, 0);
  ASSERT_EQ(run(synth_command(b, "11")).exit_code, 0);
  ASSERT_EQ(run(synth_command(c, "12")).exit_code, 0);
  const h5::File fa = h5::File::open(a), fb = h5::File::open(b), fc = h5::File::open(c);
  ASSERT_EQ(fa.dataset_paths(), fb.dataset_paths());
  for (const auto& path : fa.dataset_paths()) {
    EXPECT_EQ(dataset_bytes(fa, path), dataset_bytes(fb, path)) << path;
  }
  const auto attributes_a = h5::list_attributes(fa, "/"), attributes_b = h5::list_attributes(fb, "/");
  ASSERT_EQ(attributes_a.size(), attributes_b.size());
  for (size_t i = 0; i < attributes_a.size(); ++i) {
    const std::string& name = attributes_a[i].first;
    if (name == "uuid" || name == "created_at" || name == "created_by") continue;  // provenance
    EXPECT_EQ(h5::attribute_text(attributes_a[i].second), h5::attribute_text(attributes_b[i].second)) << name;
  }
  EXPECT_NE(dataset_bytes(fa, "/cameras/image"), dataset_bytes(fc, "/cameras/image"));
  EXPECT_NE(dataset_bytes(fa, "/occupancy/semantics"), dataset_bytes(fc, "/occupancy/semantics"));
}

TEST(PrepSynth, NonsenseIsAUsageErrorAndWritesNothing) {
  const std::vector<std::vector<std::string>> bad = {
      {"--scenes", "0"},         {"--scenes", "-2"},
      {"--scenes", "100000000"}, {"--frames-per-scene", "0"},
      {"--image-size", "0x176"}, {"--image-size", "-96x176"},
      {"--image-size", "96x"},   {"--image-size", "90000x160000"},
      {"--rig", "waymo"},        {"--fps", "0"},
      {"--sweeps", "-1"},        {"--grid", "200,200,0,0.4,-40,-40,-1"},
      {"--grid", "cubes"},       {"--compression", "lz77"}};
  for (const auto& extra : bad) {
    TempDir dir;
    std::vector<std::string> argv = {OCC_BINARY,           "prep", "synth", "-o", dir.file("out.h5"),
                                     "--frames-per-scene", "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const RunResult result = run(argv);
    EXPECT_EQ(result.exit_code, 2) << extra[0] << " " << extra[1] << ": " << result.err;
    EXPECT_EQ(result.err.rfind("occ prep: ", 0), 0u) << result.err;
    EXPECT_TRUE(dir.entries().empty()) << extra[0] << " " << extra[1] << " left files behind";
  }
  EXPECT_EQ(run({OCC_BINARY, "prep"}).exit_code, 2);
  EXPECT_EQ(run({OCC_BINARY, "prep", "synth"}).exit_code, 2);  // no -o
}

}  // namespace
}  // namespace occ::test
