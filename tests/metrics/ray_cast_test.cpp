// The RayIoU ray caster on rays whose traversal can be followed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "metrics/ray_cast.h"
#include "metrics/ray_origins.h"

namespace occ::metrics {
namespace {

// A 10^3 grid of 1 m voxels at the origin: grid units equal metres.
geom::VoxelGrid unit_grid() {
  geom::VoxelGrid grid;
  grid.shape = {10, 10, 10};
  grid.origin_m = {0, 0, 0};
  grid.voxel_size_m = {1, 1, 1};
  return grid;
}

RayHit cast(const std::vector<uint8_t>& occupied, const geom::VoxelGrid& grid, const Vec3& origin,
            const Vec3f& dir) {
  std::vector<uint8_t> bits(occupied.size());
  for (size_t i = 0; i < bits.size(); ++i) bits[i] = occupied[i] ? 3 : 0;
  RayHit a, b;
  march_pair(bits.data(), grid, to_grid_ray(grid, origin, dir), a, b);
  EXPECT_EQ(a.distance, b.distance);
  EXPECT_EQ(a.voxel, b.voxel);
  return a;
}

TEST(RayDirections, ThirtyNinePitchesOfThreeHundredSixtyAzimuths) {
  const auto pitches = lidar_pitches();
  ASSERT_EQ(pitches.size(), 39u);
  EXPECT_DOUBLE_EQ(pitches[0], -(M_PI / 2 - std::atan(1.0)));  // -45 degrees
  EXPECT_LT(pitches[37], 0.21);
  EXPECT_GE(pitches[38], 0.21);
  const auto rays = lidar_ray_directions();
  ASSERT_EQ(rays.size(), 39u * 360u);
  // Pitch-major: ray 1 is the first pitch at 1 degree azimuth.
  EXPECT_FLOAT_EQ(rays[1][1], static_cast<float>(std::cos(pitches[0]) * std::sin(M_PI / 180)));
  EXPECT_FLOAT_EQ(rays[360][2], static_cast<float>(std::sin(pitches[1])));
}

TEST(RayCast, HitReportsTheExitDistanceOfTheFirstOccupiedVoxel) {
  const geom::VoxelGrid grid = unit_grid();
  std::vector<uint8_t> occupied(static_cast<size_t>(grid.count()), 0);
  occupied[static_cast<size_t>(grid.linear(6, 5, 5))] = 1;
  occupied[static_cast<size_t>(grid.linear(8, 5, 5))] = 1;
  const RayHit hit = cast(occupied, grid, {2.5, 5.5, 5.5}, {1, 0, 0});
  EXPECT_TRUE(hit.entered);
  EXPECT_DOUBLE_EQ(hit.distance, 4.5);  // leaves voxel x=6 at x=7
  EXPECT_EQ(hit.voxel, grid.linear(6, 5, 5));
  EXPECT_FLOAT_EQ(depth_metres(hit, 0.4), 4.5f * 0.4f);
}

TEST(RayCast, MissReportsTheGridExitAndTheLastVoxel) {
  const geom::VoxelGrid grid = unit_grid();
  const std::vector<uint8_t> empty(static_cast<size_t>(grid.count()), 0);
  const RayHit hit = cast(empty, grid, {2.5, 5.5, 5.5}, {-1, 0, 0});
  EXPECT_DOUBLE_EQ(hit.distance, 2.5);
  EXPECT_EQ(hit.voxel, grid.linear(0, 5, 5));
}

TEST(RayCast, RayThatNeverEntersGivesMinusOneAtVoxelZero) {
  const geom::VoxelGrid grid = unit_grid();
  const std::vector<uint8_t> full(static_cast<size_t>(grid.count()), 1);
  const RayHit hit = cast(full, grid, {-3.5, 5.5, 5.5}, {-1, 0, 0});
  EXPECT_FALSE(hit.entered);
  EXPECT_EQ(hit.distance, -1);
  EXPECT_EQ(hit.voxel, 0);
  EXPECT_FLOAT_EQ(depth_metres(hit, 0.4), -0.4f);
}

TEST(RayCast, OriginOutsideEntersThroughTheFace) {
  const geom::VoxelGrid grid = unit_grid();
  std::vector<uint8_t> occupied(static_cast<size_t>(grid.count()), 0);
  occupied[static_cast<size_t>(grid.linear(1, 5, 5))] = 1;
  // int() truncates toward zero: the start voxel of x = -0.5 is 0, not -1,
  // exactly as dvr.cu does; the ray then reports x=0 as its first voxel.
  const RayHit hit = cast(occupied, grid, {-0.5, 5.5, 5.5}, {1, 0, 0});
  EXPECT_EQ(hit.voxel, grid.linear(1, 5, 5));
  EXPECT_DOUBLE_EQ(hit.distance, 2.5);  // leaves x=1 at x=2, 2.5 from the origin
}

TEST(RayCast, TiesStepYBeforeXAndZOnlyWhenStrictlyFirst) {
  // From a voxel corner at 45 degrees tMaxX == tMaxY: dvr.cu steps X only if
  // tMaxX < tMaxY, so the ray goes to y+1 first and never visits (4, 3, 3).
  const geom::VoxelGrid grid = unit_grid();
  const float diagonal = static_cast<float>(std::sqrt(0.5));
  std::vector<uint8_t> occupied(static_cast<size_t>(grid.count()), 0);
  occupied[static_cast<size_t>(grid.linear(4, 3, 3))] = 1;
  const RayHit missed = cast(occupied, grid, {3.0, 3.0, 3.5}, {diagonal, diagonal, 0});
  EXPECT_NE(missed.voxel, grid.linear(4, 3, 3));
  occupied[static_cast<size_t>(grid.linear(3, 4, 3))] = 1;
  const RayHit hit = cast(occupied, grid, {3.0, 3.0, 3.5}, {diagonal, diagonal, 0});
  EXPECT_EQ(hit.voxel, grid.linear(3, 4, 3));
}

TEST(RayCast, PairStopsIndependentlyPerGrid) {
  const geom::VoxelGrid grid = unit_grid();
  std::vector<uint8_t> bits(static_cast<size_t>(grid.count()), 0);
  bits[static_cast<size_t>(grid.linear(4, 5, 5))] = 2;  // only grid B
  bits[static_cast<size_t>(grid.linear(7, 5, 5))] = 1;  // only grid A
  RayHit a, b;
  march_pair(bits.data(), grid, to_grid_ray(grid, {2.5, 5.5, 5.5}, {1, 0, 0}), a, b);
  EXPECT_EQ(a.voxel, grid.linear(7, 5, 5));
  EXPECT_DOUBLE_EQ(a.distance, 5.5);
  EXPECT_EQ(b.voxel, grid.linear(4, 5, 5));
  EXPECT_DOUBLE_EQ(b.distance, 2.5);
}

TEST(RayCast, GridCoordinatesRoundLikeTheFloat32Tensors) {
  const geom::VoxelGrid grid = geom::VoxelGrid::occ3d_nuscenes();
  const GridRay ray = to_grid_ray(grid, {0.9858, 0.0, 1.8402}, {1, 0, 0});
  // (0.9858 + 40) / float32(0.4) in double, then float32.
  EXPECT_EQ(ray.origin[0], static_cast<float>(40.9858 / static_cast<double>(0.4f)));
  EXPECT_EQ(ray.end[0], static_cast<float>((1.0 + 0.9858 + 40) / static_cast<double>(0.4f)));
}

TEST(RayOrigins, LinspacePickMatchesNumpyRound) {
  EXPECT_EQ(linspace_pick(10, 8), (std::vector<int64_t>{0, 1, 3, 4, 5, 6, 8, 9}));
  EXPECT_EQ(linspace_pick(9, 8), (std::vector<int64_t>{0, 1, 2, 3, 5, 6, 7, 8}));
  EXPECT_EQ(linspace_pick(40, 8), (std::vector<int64_t>{0, 6, 11, 17, 22, 28, 33, 39}));
}

TEST(RayOrigins, KeyframesOfTheSceneInTimeOrderInThisEgoFrame) {
  std::vector<FramePose> frames(4);
  for (int i = 0; i < 4; ++i) {
    frames[static_cast<size_t>(i)].world_from_ego = {1, 0, 0, 10.0 * i, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    frames[static_cast<size_t>(i)].lidar_origin_in_ego = {1, 0, 2};
    frames[static_cast<size_t>(i)].timestamp_us = 100 - i;  // stored newest first
  }
  frames[3].scene = 1;  // another scene
  frames[1].keyframe = false;
  OriginOptions options;
  options.range_m = 15;
  const auto origins = ray_origins(frames, 0, options);
  // Keyframes 0 and 2 of scene 0, time order puts frame 2 first: at x = 20 + 1 it is out of range.
  ASSERT_EQ(origins.size(), 1u);
  EXPECT_DOUBLE_EQ(origins[0][0], 1.0);
  options.range_m = 39;
  const auto wide = ray_origins(frames, 0, options);
  ASSERT_EQ(wide.size(), 2u);
  EXPECT_DOUBLE_EQ(wide[0][0], 21.0);
  EXPECT_DOUBLE_EQ(wide[1][0], 1.0);
  options.max_origins = 1;
  EXPECT_DOUBLE_EQ(ray_origins(frames, 0, options)[0][0], 21.0);  // linspace(0, 1, 1) = [0]
}

}  // namespace
}  // namespace occ::metrics
