// SemanticKITTI readers on the real fixture (sequence 08 calib, poses and
// times; semantic-kitti.yaml) and the voxel file formats both ways.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "core/error.h"
#include "datasets/kitti_tracking.h"
#include "datasets/learning_map.h"
#include "datasets/semantickitti.h"
#include "export/semantickitti.h"
#include "support/temp_dir.h"

namespace occ::datasets {
namespace {

const std::string kRoot = std::string(OCC_FIXTURES_DIR) + "/semantickitti";

TEST(SemanticKitti, ShippedLearningMapIsTheYamls) {
  EXPECT_EQ(semantickitti_learning_map(), read_learning_map(kRoot + "/semantic-kitti.yaml"));
}

TEST(SemanticKitti, Sequence08CalibrationPosesAndTimes) {
  const std::string folder = kRoot + "/sequences/08";
  EXPECT_EQ(read_semantickitti_poses(folder + "/poses.txt").size(), 4071u);
  const auto times = read_semantickitti_times(folder + "/times.txt");
  ASSERT_EQ(times.size(), 4071u);
  EXPECT_EQ(times[0], 0);
  EXPECT_EQ(times[1], 103992);  // 1.039920e-01 s
  const auto calibration = read_semantickitti_calibration(folder + "/calib.txt");
  EXPECT_DOUBLE_EQ(calibration.intrinsics[0], 707.0912);
  // The stereo baseline (P2[0,3] - P3[0,3]) / fx of the real calib.txt: KITTI's ~0.54 m.
  EXPECT_DOUBLE_EQ(calibration.stereo_baseline_m, (46.88783 + 333.4597) / 707.0912);
  const Matrix4& e = calibration.ego_from_camera;
  EXPECT_GT(e[2], 0.99);   // optical axis along the Velodyne's x
  EXPECT_LT(e[4], -0.99);  // image right is ego -y
  // A point 10 m ahead projects inside the 1241x376 image.
  const Matrix4 camera_from_ego = affine_inverse(e);
  double camera[3];
  for (int r = 0; r < 3; ++r)
    camera[r] = camera_from_ego[size_t(r * 4)] * 10 + camera_from_ego[size_t(r * 4 + 3)];
  const auto& k = calibration.intrinsics;
  const double u = k[0] * camera[0] / camera[2] + k[2], v = k[4] * camera[1] / camera[2] + k[5];
  EXPECT_TRUE(u > 0 && u < 1241 && v > 0 && v < 376) << u << ", " << v;
}

TEST(SemanticKitti, PackedVoxelsRoundTripAndTruncationIsNamed) {
  std::mt19937 random(5);
  std::vector<uint8_t> bits(static_cast<size_t>(kSemanticKittiVoxels));
  for (auto& bit : bits) bit = uint8_t(random() & 1);
  test::TempDir dir;
  const auto packed = exporting::pack_bits(bits);
  ASSERT_EQ(packed.size(), 262144u);  // 256 * 256 * 32 / 8
  std::ofstream(dir.file("a.bin"), std::ios::binary)
      .write(reinterpret_cast<const char*>(packed.data()), 262144);
  EXPECT_EQ(read_packed_voxels(dir.file("a.bin"), kSemanticKittiVoxels), bits);
  EXPECT_EQ(packed[0] >> 7, bits[0]);  // most significant bit first
  std::ofstream(dir.file("b.bin"), std::ios::binary)
      .write(reinterpret_cast<const char*>(packed.data()), 30000);
  try {
    read_packed_voxels(dir.file("b.bin"), kSemanticKittiVoxels);
    FAIL() << "no error for a truncated .bin";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("b.bin' has 30000 bytes, not 262144 (truncated)"),
              std::string::npos)
        << error.what();
  }
  std::vector<uint16_t> labels(static_cast<size_t>(kSemanticKittiVoxels));
  for (auto& label : labels) label = uint16_t(random() % 260);
  std::ofstream(dir.file("a.label"), std::ios::binary)
      .write(reinterpret_cast<const char*>(labels.data()), std::streamsize(labels.size() * 2));
  EXPECT_EQ(read_voxel_labels(dir.file("a.label"), kSemanticKittiVoxels), labels);
}

}  // namespace
}  // namespace occ::datasets
