// Poses, pinhole cameras, voxel traversal and visibility.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>
#include <tuple>
#include <vector>

#include "geom/free_space.h"
#include "geom/pinhole.h"
#include "geom/rigid.h"
#include "geom/visibility.h"
#include "geom/voxel_grid.h"

namespace occ::geom {
namespace {

TEST(Rigid, InverseAndComposeRoundTrip) {
  const Rigid a = Rigid::from_yaw(0.7, {1, 2, 3});
  const Rigid b = Rigid::from_yaw(-2.1, {-4, 0.5, 1});
  const Vec3 p{0.3, -1.2, 2.5};
  const Vec3 through = (a * b).apply(p), stepwise = a.apply(b.apply(p));
  EXPECT_NEAR((through - stepwise).norm(), 0, 1e-12);
  EXPECT_NEAR((a.inverse().apply(a.apply(p)) - p).norm(), 0, 1e-12);
  EXPECT_NEAR(a.yaw(), 0.7, 1e-12);
  double m[16];
  a.to_matrix(m);
  EXPECT_EQ(m[3], 1);
  EXPECT_EQ(m[15], 1);
  EXPECT_NEAR((Rigid::from_matrix(m).apply(p) - a.apply(p)).norm(), 0, 1e-12);
}

// The 4x4 product every pose in the files written so far came from.
Matrix4 plain_product(const Matrix4& a, const Matrix4& b) {
  Matrix4 out{};
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      for (int k = 0; k < 4; ++k) out[r * 4 + c] += a[r * 4 + k] * b[k * 4 + c];
  return out;
}

bool same_bits(const Matrix4& a, const Matrix4& b) {
  return std::memcmp(a.data(), b.data(), sizeof(Matrix4)) == 0;
}

TEST(Rigid, MatrixProductAndInverseKeepTheBitsOfThePlainFormulas) {
  // Yaw 0 and pi give -0.0 entries and exact cancellations: where Rigid's
  // sums and the 4x4 product could differ by the sign of a zero.
  std::vector<Matrix4> transforms;
  for (const double yaw : {0.0, M_PI, -M_PI / 2, 0.3, -2.7}) {
    for (const Vec3& t : {Vec3{0, 0, 0}, Vec3{-0.0, 1.5, -0.0}, Vec3{12.25, -3.5, 1.75}}) {
      Matrix4 m = Rigid::from_yaw(yaw, t).matrix();
      transforms.push_back(m);
      // A tilted one, with all nine rotation entries non-zero.
      const Matrix4 tilt = {
          1, 0, 0, 0, 0, std::cos(0.4), -std::sin(0.4), 0, 0, std::sin(0.4), std::cos(0.4), -0.0, 0, 0, 0, 1};
      transforms.push_back(plain_product(m, tilt));
    }
  }
  for (const Matrix4& a : transforms) {
    Matrix4 inverse{};
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) inverse[r * 4 + c] = a[c * 4 + r];
      inverse[r * 4 + 3] = -(a[0 * 4 + r] * a[3] + a[1 * 4 + r] * a[7] + a[2 * 4 + r] * a[11]);
    }
    inverse[15] = 1;
    EXPECT_TRUE(same_bits(rigid_inverse(a), inverse));
    for (const Matrix4& b : transforms) {
      EXPECT_TRUE(same_bits(multiply(a, b), plain_product(a, b)));
      EXPECT_TRUE(same_bits(multiply(a, rigid_inverse(b)), plain_product(a, rigid_inverse(b))));
    }
  }
}

TEST(Pinhole, ProjectsItsOwnRaysAndScalesIntrinsics) {
  PinholeCamera camera;
  camera.fx = 1000, camera.fy = 1000, camera.cx = 800, camera.cy = 450, camera.width = 1600,
  camera.height = 900;
  const PinholeCamera small = camera.resized(176, 96);
  EXPECT_DOUBLE_EQ(small.fx, 1000 * 176.0 / 1600);
  EXPECT_DOUBLE_EQ(small.fy, 1000 * 96.0 / 900);
  EXPECT_DOUBLE_EQ(small.cx, 800 * 176.0 / 1600);
  double u, v;
  ASSERT_TRUE(small.project(small.ray_in_camera(10.5, 20.5) * 7.0, u, v));
  EXPECT_NEAR(u, 10.5, 1e-9);
  EXPECT_NEAR(v, 20.5, 1e-9);
  EXPECT_FALSE(small.project({0, 0, -1}, u, v));
}

TEST(VoxelTraversal, VisitsTheVoxelsADenseWalkFindsInOrder) {
  const VoxelGrid grid = VoxelGrid::occ3d_nuscenes();
  const Vec3 origin{0.13, -0.27, 1.51};
  for (const Vec3& target : {Vec3{30.1, 12.7, -0.5}, Vec3{-35.3, 3.3, 4.9}, Vec3{2.2, -39.1, 0.1}}) {
    const Vec3 delta = target - origin;
    const double length = delta.norm();
    std::vector<std::tuple<int, int, int>> visited;
    double last_out = 0;
    traverse_voxels(grid, origin, delta * (1 / length), length,
                    [&](const VoxelIndex& v, double t_in, double t_out) {
                      EXPECT_NEAR(t_in, last_out, 1e-9);
                      EXPECT_GE(t_out, t_in);
                      last_out = t_out;
                      visited.emplace_back(v.x, v.y, v.z);
                      return true;
                    });
    // A dense walk along the segment meets the same voxels in the same order.
    std::vector<std::tuple<int, int, int>> walked;
    for (int i = 0; i <= 200000; ++i) {
      VoxelIndex v;
      if (!grid.voxel_of(origin + delta * (i / 200000.0), v)) continue;
      const auto key = std::make_tuple(v.x, v.y, v.z);
      if (walked.empty() || walked.back() != key) walked.push_back(key);
    }
    // The walk may skip a voxel the line only grazes; every walked voxel is visited, in order.
    size_t j = 0;
    for (const auto& key : walked) {
      while (j < visited.size() && visited[j] != key) ++j;
      ASSERT_LT(j, visited.size()) << "voxel not visited in order";
    }
    EXPECT_LE(visited.size(), walked.size() + 4);
  }
}

TEST(Visibility, AWallHidesWhatIsBehindIt) {
  VoxelGrid grid;
  grid.shape = {20, 20, 4};
  grid.origin_m = {0, -10, 0};
  grid.voxel_size_m = {1, 1, 1};
  std::vector<uint8_t> occupied(static_cast<size_t>(grid.count()), 0);
  // A wall at x = 10 spanning y in [-3, 3), full height.
  for (int y = 7; y < 13; ++y) {
    for (int z = 0; z < 4; ++z) occupied[static_cast<size_t>(grid.linear(10, y, z))] = 1;
  }
  std::vector<uint8_t> mask(occupied.size(), 0);
  const Vec3 eye{0.5, 0.0, 1.5};
  mark_visible_voxels(
      grid, occupied, eye, [](const Vec3&) { return true; }, mask);
  EXPECT_TRUE(mask[static_cast<size_t>(grid.linear(5, 10, 1))]);    // free, in front of the wall
  EXPECT_TRUE(mask[static_cast<size_t>(grid.linear(10, 10, 1))]);   // the wall's face itself
  EXPECT_FALSE(mask[static_cast<size_t>(grid.linear(11, 10, 1))]);  // just behind it
  EXPECT_FALSE(mask[static_cast<size_t>(grid.linear(19, 10, 2))]);  // far behind it
  EXPECT_TRUE(mask[static_cast<size_t>(grid.linear(19, 0, 1))]);    // beside the wall
  EXPECT_TRUE(voxel_in_sight(grid, occupied, eye, {15, 1, 1}));
  EXPECT_FALSE(voxel_in_sight(grid, occupied, eye, {15, 10, 1}));
}

TEST(Visibility, ARoadVoxelIsSeenThroughItsTopFace) {
  VoxelGrid grid;
  grid.shape = {100, 3, 4};
  grid.origin_m = {0, -0.6, -1.0};
  grid.voxel_size_m = {0.4, 0.4, 0.4};
  std::vector<uint8_t> occupied(static_cast<size_t>(grid.count()), 0);
  for (int x = 0; x < 100; ++x) {
    for (int y = 0; y < 3; ++y) occupied[static_cast<size_t>(grid.linear(x, y, 2))] = 1;  // z in [-0.2, 0.2)
  }
  const Vec3 eye{0.0, 0.0, 1.5};
  // The line to the centre of a road voxel 20 m away crosses road voxels first...
  EXPECT_FALSE(line_of_sight(grid, occupied, eye, {50, 1, 2}, grid.centre(50, 1, 2)));
  // ...but its top face is in plain sight; the layer below it is not.
  EXPECT_TRUE(voxel_in_sight(grid, occupied, eye, {50, 1, 2}));
  EXPECT_FALSE(voxel_in_sight(grid, occupied, eye, {50, 1, 1}));
}

}  // namespace
}  // namespace occ::geom

namespace occ::geom {
namespace {

TEST(FreeSpace, JumpsGiveTheSameAnswerAsTheVoxelWalk) {
  VoxelGrid grid;
  grid.shape = {60, 50, 12};
  grid.origin_m = {-12, -10, -1};
  grid.voxel_size_m = {0.4, 0.4, 0.4};
  std::vector<uint8_t> occupied(static_cast<size_t>(grid.count()), 0);
  uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return double(state >> 11) / 9007199254740992.0;
  };
  // A ground layer, boxes and scattered single voxels.
  for (int x = 0; x < 60; ++x) {
    for (int y = 0; y < 50; ++y) occupied[size_t(grid.linear(x, y, 2))] = 1;
  }
  for (int box = 0; box < 12; ++box) {
    const int x0 = int(next() * 55), y0 = int(next() * 45), z1 = 3 + int(next() * 8);
    for (int x = x0; x < x0 + 4; ++x) {
      for (int y = y0; y < y0 + 3; ++y) {
        for (int z = 3; z < z1; ++z) occupied[size_t(grid.linear(x, y, z))] = 1;
      }
    }
  }
  for (int i = 0; i < 200; ++i) occupied[size_t(next() * double(grid.count()))] = 1;
  const FreeSpace free_space(grid, occupied);
  EXPECT_EQ(free_space.distance({0, 0, 2}), 0);
  EXPECT_EQ(free_space.distance({0, 0, 3}), 1);
  int visible = 0;
  for (int query = 0; query < 20000; ++query) {
    const Vec3 origin{next() * 20 - 10, next() * 16 - 8, 0.3 + next() * 3};
    const VoxelIndex target{int(next() * 60), int(next() * 50), int(next() * 12)};
    const Vec3 point = grid.centre(target.x, target.y, target.z);
    const bool walked = line_of_sight(grid, occupied, origin, target, point);
    ASSERT_EQ(free_space.clear_line(origin, target, point), walked) << "query " << query;
    visible += walked;
  }
  EXPECT_GT(visible, 2000);
  EXPECT_LT(visible, 18000);
}

}  // namespace
}  // namespace occ::geom
