// The export formats on small generated pred and model files: ray casting
// against hand-computed distances, RayIoU origins, class renumbering,
// SemanticKITTI round trips and the errors bad input gives.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "datasets/frames_file.h"
#include "export/export.h"
#include "export/openocc.h"
#include "export/semantickitti.h"
#include "metrics/ray_cast.h"
#include "support/export_files.h"
#include "support/temp_dir.h"

namespace occ::exporting {
namespace {

using metrics::lidar_ray_directions;

int64_t voxel_index(int x, int y, int z) {
  return (static_cast<int64_t>(x) * 200 + y) * 16 + z;
}

// Hits of each direction from `origin_m` through `occupied`, as occ export
// casts them for OpenOcc.
std::vector<metrics::RayHit> cast_rays(const std::vector<uint8_t>& occupied, const metrics::Vec3& origin_m,
                                       const std::vector<metrics::Vec3f>& directions) {
  return metrics::cast_rays(occupied.data(), geom::VoxelGrid::occ3d_nuscenes(), origin_m, directions);
}

float metres(const metrics::RayHit& hit) {
  return metrics::depth_metres(hit, 0.4);
}

// The pitch closest to horizontal is number 18 (-0.0008 rad).
constexpr size_t kLevelRay = 18 * 360;

TEST(RayCast, DirectionsFollowTheOfficialPitchesAndAzimuths) {
  const auto& rays = lidar_ray_directions();
  ASSERT_EQ(rays.size(), 14040u);  // 39 pitches x 360 azimuths
  // First pitch -(pi/2 - atan(1)) = -45 degrees, azimuth 0.
  EXPECT_NEAR(rays[0][0], std::cos(M_PI / 4), 1e-6);
  EXPECT_NEAR(rays[0][2], -std::sin(M_PI / 4), 1e-6);
  // Azimuth 90 degrees points along +y.
  EXPECT_NEAR(rays[90][0], 0.0, 1e-6);
  EXPECT_GT(rays[90][1], 0.7);
  EXPECT_LT(std::abs(rays[kLevelRay][2]), 1e-3);
  EXPECT_GT(rays.back()[2], 0.19);  // the last pitch reaches ~0.21 rad
}

TEST(RayCast, StopsAtTheExitOfTheFirstOccupiedVoxel) {
  std::vector<uint8_t> occupied(200 * 200 * 16, 0);
  for (int y = 0; y < 200; ++y)
    for (int z = 0; z < 16; ++z) occupied[voxel_index(150, y, z)] = 1;  // a wall at x in [20, 20.4)
  const std::vector<std::array<float, 3>> ray{lidar_ray_directions()[kLevelRay]};
  const auto hits = cast_rays(occupied, {0.1, 0.1, 1.1}, ray);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NEAR(metres(hits[0]), 20.3, 1e-3);
  EXPECT_EQ(hits[0].voxel, voxel_index(150, 100, 5));
}

TEST(RayCast, OriginsOnAVoxelBoundaryRoundLikeTheOfficialFloat32Coordinates) {
  // y = 0 m is grid y 99.9999985 in float64 and exactly 100 in float32: the
  // first step leaves voxel y 100 at distance 0 (a g++ -O3 miscompilation
  // once kept the float64 value here).
  std::vector<uint8_t> occupied(200 * 200 * 16, 0);
  occupied[voxel_index(77, 99, 7)] = 1;
  const std::vector<std::array<float, 3>> ray{lidar_ray_directions()[21 * 360 + 357]};
  const auto hits = cast_rays(occupied, {-9, 0, 2}, ray);
  EXPECT_EQ(hits[0].voxel, voxel_index(77, 99, 7));
  EXPECT_EQ(metres(hits[0]), static_cast<float>(0.50094579410059092) * 0.4f);
}

TEST(RayCast, AMissReportsTheGridExitAndANeverEnteringRayMinusOneVoxel) {
  const std::vector<uint8_t> empty(200 * 200 * 16, 0);
  const std::vector<std::array<float, 3>> ray{lidar_ray_directions()[kLevelRay]};
  const auto miss = cast_rays(empty, {0.1, 0.1, 1.1}, ray);
  EXPECT_NEAR(metres(miss[0]), 39.9, 1e-3);
  EXPECT_EQ(miss[0].voxel, voxel_index(199, 100, 5));
  const auto outside = cast_rays(empty, {100, 0.1, 1.1}, ray);
  EXPECT_FLOAT_EQ(metres(outside[0]), -0.4f);
  EXPECT_EQ(outside[0].voxel, 0);
  EXPECT_FALSE(outside[0].entered);
}

TEST(OpenOcc, ClassesAreRenumberedByNameAndOthersBecomeFree) {
  const auto map = openocc_class_map(test::occ3d_names());
  EXPECT_EQ(map[4], 0);    // car
  EXPECT_EQ(map[10], 1);   // truck
  EXPECT_EQ(map[1], 9);    // barrier
  EXPECT_EQ(map[0], 16);   // others -> free
  EXPECT_EQ(map[17], 16);  // free
  EXPECT_THROW(openocc_class_map({"car", "unicorn"}), FormatError);
}

std::array<double, 16> translation(double x, double y) {
  return {1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, 0, 0, 0, 0, 1};
}

TEST(OpenOcc, OriginsAreTheSceneKeyframesLidarOriginsInThisEgoFrame) {
  test::TempDir dir;
  test::ExportFrames spec;
  spec.tokens = {"a", "b", "c", "other-scene", "sweep"};
  spec.scene = {0, 0, 0, 1, 0};
  spec.keyframe = {1, 1, 1, 1, 0};
  spec.world_from_ego = {translation(0, 0), translation(10, 0), translation(50, 0), translation(12, 0),
                         translation(11, 0)};
  spec.lidar_origin = std::vector<std::array<double, 3>>(5, {1, 0, 2});
  test::write_export_frames(dir.file("f.h5"), spec);
  const FramesFile frames(dir.file("f.h5"));
  const auto origins = RayOrigins(frames).of(1);
  // Frame c is 40 m ahead: outside the 39 m square. Other scenes and sweeps are not used.
  ASSERT_EQ(origins.size(), 2u);
  EXPECT_NEAR(origins[0][0], -9, 1e-9);
  EXPECT_NEAR(origins[1][0], 1, 1e-9);
  EXPECT_NEAR(origins[1][2], 2, 1e-9);
}

TEST(OpenOcc, AtMostEightOriginsPickedLikeNumpyLinspace) {
  test::TempDir dir;
  test::ExportFrames spec;
  spec.tokens.clear();
  for (int i = 0; i < 12; ++i) {
    spec.tokens.push_back("t" + std::to_string(i));
    spec.world_from_ego.push_back(translation(i, 0));
    spec.lidar_origin.push_back({0, 0, 0});
  }
  test::write_export_frames(dir.file("f.h5"), spec);
  const FramesFile frames(dir.file("f.h5"));
  const auto origins = RayOrigins(frames).of(0);
  // np.round(np.linspace(0, 11, 8)) = [0, 2, 3, 5, 6, 8, 9, 11]
  const std::vector<double> expected{0, 2, 3, 5, 6, 8, 9, 11};
  ASSERT_EQ(origins.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(origins[i][0], expected[i], 1e-9) << i;
}

struct SemanticKittiFiles {
  test::TempDir dir;
  std::vector<uint8_t> classes;
  std::vector<uint8_t> mask_lidar;
  SemanticKittiFiles() {
    const size_t voxels = 256 * 256 * 32;
    classes.assign(2 * voxels, 0);
    mask_lidar.assign(2 * voxels, 1);
    for (size_t v = 0; v < classes.size(); v += 97) classes[v] = static_cast<uint8_t>(v % 20);
    for (size_t v = 0; v < mask_lidar.size(); v += 13) mask_lidar[v] = 0;
    test::ExportFrames frames;
    frames.tokens = {"08/000000", "08/000005"};
    frames.grid_shape = {256, 256, 32};
    frames.grid_origin_m = {0, -25.6, -2};
    frames.voxel_size_m = {0.2, 0.2, 0.2};
    frames.class_names = test::semantickitti_names();
    frames.free_class = 0;
    frames.mask_lidar = mask_lidar;
    const std::string uuid = test::write_export_frames(dir.file("kitti.h5"), frames);
    test::ExportPred pred;
    pred.grid_shape = frames.grid_shape;
    pred.class_names = frames.class_names;
    pred.free_class = 0;
    pred.semantics = classes;
    test::write_export_pred(dir.file("kitti.pred.h5"), uuid, pred);
  }
};

TEST(SemanticKitti, OfficialLayoutRoundTrips) {
  SemanticKittiFiles files;
  ExportOptions options;
  options.input = files.dir.file("kitti.pred.h5");
  options.frames = files.dir.file("kitti.h5");
  options.format = "semantickitti";
  options.output = files.dir.file("out");
  EXPECT_EQ(run_export(options).items, 2);
  const size_t voxels = 256 * 256 * 32;
  const auto& map_inv = semantickitti_learning_map_inv();
  const std::string base = files.dir.file("out/sequences/08/");
  const auto labels = read_label_file(base + "predictions/000005.label", voxels);
  const auto occupied = read_packed_file(base + "voxels/000005.bin", voxels);
  const auto invalid = read_packed_file(base + "voxels/000005.invalid", voxels);
  for (size_t v = 0; v < voxels; ++v) {
    const uint8_t expected = files.classes[voxels + v];
    ASSERT_EQ(labels[v], map_inv[expected]) << v;
    ASSERT_EQ(occupied[v], expected != 0) << v;
    ASSERT_EQ(invalid[v], files.mask_lidar[voxels + v] == 0) << v;
  }
  EXPECT_TRUE(std::filesystem::exists(base + "predictions/000000.label"));
}

TEST(SemanticKitti, OtherTokensNeedTheFlatLayout) {
  SemanticKittiFiles files;
  ExportOptions options;
  options.input = files.dir.file("kitti.pred.h5");
  options.format = "semantickitti";
  options.output = files.dir.file("out");
  try {
    run_export(options);
    FAIL() << "a pred without --gt has no tokens";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("--gt"), std::string::npos) << error.what();
  }
  options.frames = files.dir.file("kitti.h5");
  options.layout = "flat";
  run_export(options);
  EXPECT_TRUE(std::filesystem::exists(files.dir.file("out/08_000000.label")));
  EXPECT_TRUE(std::filesystem::exists(files.dir.file("out/08_000005.invalid")));
}

TEST(Export, OccupancyGridOfTheWrongShapeIsRefusedBeforeWriting) {
  test::TempDir dir;
  const std::string uuid = test::write_export_frames(dir.file("f.h5"), {});
  test::ExportPred pred;
  pred.semantics.assign(2 * 200 * 200 * 16, 17);
  test::write_export_pred(dir.file("p.h5"), uuid, pred);
  ExportOptions options;
  options.input = dir.file("p.h5");
  options.frames = dir.file("f.h5");
  options.format = "semantickitti";
  options.output = dir.file("out");
  EXPECT_THROW(run_export(options), FormatError);
  options.format = "openocc";
  options.output = dir.file("sub.gz");
  EXPECT_THROW(run_export(options), FormatError) << "no /lidar/origin and no flow";
  options.format = "torch";
  EXPECT_THROW(run_export(options), UsageError) << "torch exports model files";
  options.format = "nope";
  EXPECT_THROW(run_export(options), UsageError);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"f.h5", "p.h5"}));
}

}  // namespace
}  // namespace occ::exporting
