// Spatial cross-attention: projection of voxel centres into cameras, the
// per-camera gathering and scattering, and the whole module against a direct
// loop over queries and cameras.
#include "models/spatial_cross_attention.h"

#include <gtest/gtest.h>
#include <torch/nn/init.h>

#include <cmath>
#include <vector>

#include "core/error.h"

namespace occ::models {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kHeight = 16, kWidth = 24;

// A camera at `position` (ego metres) looking along yaw `yaw_deg` in the
// ground plane: camera x = right, y = down, z = forward (OpenCV).
at::Tensor ego_from_camera(double yaw_deg, std::array<double, 3> position) {
  const double yaw = yaw_deg * kPi / 180.0;
  const double c = std::cos(yaw), s = std::sin(yaw);
  // Columns: camera x (right), y (down), z (forward) in the ego frame.
  return at::tensor({s, 0.0, c, position[0], -c, 0.0, s, position[1], 0.0, -1.0, 0.0, position[2], 0.0, 0.0,
                     0.0, 1.0},
                    at::kDouble)
      .view({4, 4})
      .to(at::kFloat);
}

at::Tensor intrinsics(double focal, double cx, double cy) {
  return at::tensor({focal, 0.0, cx, 0.0, focal, cy, 0.0, 0.0, 1.0}, at::kDouble).view({3, 3}).to(at::kFloat);
}

// Frame 0: camera 0 looks ahead, camera 1 is yawed 40 degrees left, so they
// share a wedge around the x axis; frame 1 swaps the two cameras.
struct Rig {
  at::Tensor intrinsics;       // [2, 2, 3, 3]
  at::Tensor ego_from_camera;  // [2, 2, 4, 4]
};
Rig two_camera_rig() {
  const at::Tensor k0 = intrinsics(12, 12, 8), k1 = intrinsics(12, 11, 8.5);
  const at::Tensor front = ego_from_camera(0, {0, 0, 0}), left = ego_from_camera(40, {0, 0.2, 0.1});
  return {at::stack({at::stack({k0, k1}), at::stack({k1, k0})}),
          at::stack({at::stack({front, left}), at::stack({left, front})})};
}

// The projection of one point by hand: (hit, x, y normalised).
struct Projection {
  bool hit;
  double x, y;
};
Projection project_by_hand(const at::Tensor& k, const at::Tensor& ego_from_cam,
                           const std::array<double, 3>& p) {
  const auto m = ego_from_cam.to(at::kDouble).contiguous();
  const auto kk = k.to(at::kDouble).contiguous();
  const double* e = m.data_ptr<double>();
  const double* f = kk.data_ptr<double>();
  // camera_from_ego = [R^T, -R^T t].
  const double d[3] = {p[0] - e[3], p[1] - e[7], p[2] - e[11]};
  double c[3];
  for (int i = 0; i < 3; ++i) c[i] = e[0 + i] * d[0] + e[4 + i] * d[1] + e[8 + i] * d[2];
  const double depth = c[2];
  const double safe = std::max(depth, 1e-5);
  const double u = (f[0] * c[0] + f[1] * c[1] + f[2] * c[2]) / safe / kWidth;
  const double v = (f[3] * c[0] + f[4] * c[1] + f[5] * c[2]) / safe / kHeight;
  return {depth > 1e-5 && u > 0 && u < 1 && v > 0 && v < 1, u, v};
}

at::Tensor designed_points() {
  return at::tensor({6.0, 0.5, 0.3,    // A: both cameras
                     6.0, -3.0, 0.0,   // B: camera 0 only
                     2.0, 5.0, 0.0,    // C: camera 1 only
                     -5.0, 0.0, 0.0,   // D: behind both (mirrors into camera 0's centre)
                     6.0, 0.0, 10.0,   // E: above both images
                     3.0, 1.0, -0.5},  // F: both cameras
                    at::kDouble)
      .view({6, 3})
      .to(at::kFloat);
}

TEST(SpatialCrossAttention, VoxelQueryCentresSpanTheGridRange) {
  GridSpec grid;
  grid.shape = {4, 4, 2};
  grid.origin_m = {-2.0, -2.0, 0.0};
  grid.voxel_size_m = {1.0, 1.0, 1.0};
  const at::Tensor centres = voxel_query_centres(grid, {2, 2, 1});
  // Query voxels are 2 m wide in x and y and 2 m high; index (x*Y + y)*Z + z.
  const at::Tensor expected =
      at::tensor({-1.0, -1.0, 1.0, -1.0, 1.0, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0, 1.0}, at::kFloat).view({4, 3});
  EXPECT_TRUE(at::allclose(centres, expected));
  // PanoOcc's heights: linspace(0.5, Z-0.5)/Z of the height range.
  GridSpec occ3d;
  const at::Tensor heights = voxel_query_centres(occ3d, {2, 2, 4}).view({2, 2, 4, 3}).select(-1, 2)[0][0];
  EXPECT_TRUE(at::allclose(heights, at::tensor({-0.2, 1.4, 3.0, 4.6}, at::kFloat), 1e-5, 1e-5));
}

TEST(SpatialCrossAttention, HitsMatchAHandProjection) {
  at::manual_seed(1);
  const Rig rig = two_camera_rig();
  const at::Tensor points = at::cat({designed_points(), at::rand({40, 3}) * at::tensor({16.0f, 16.0f, 3.0f}) -
                                                            at::tensor({8.0f, 8.0f, 1.5f})});
  const CameraHits hits = find_camera_hits(points, rig.intrinsics, rig.ego_from_camera, kHeight, kWidth);
  ASSERT_EQ(hits.hit.sizes().vec(), (std::vector<int64_t>{2, 2, 46}));
  const int64_t longest = hits.query_index.size(1);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t n = 0; n < 2; ++n) {
      std::vector<int64_t> expected_index;
      std::vector<double> expected_xy;
      for (int64_t q = 0; q < points.size(0); ++q) {
        const auto point = points[q];
        const auto projection =
            project_by_hand(rig.intrinsics[b][n], rig.ego_from_camera[b][n],
                            {point[0].item<double>(), point[1].item<double>(), point[2].item<double>()});
        EXPECT_EQ(hits.hit[b][n][q].item<bool>(), projection.hit)
            << "frame " << b << " camera " << n << " query " << q;
        if (projection.hit) {
          expected_index.push_back(q);
          expected_xy.insert(expected_xy.end(), {projection.x, projection.y});
        }
      }
      // The gathered row: hit queries in order, then padding.
      const int64_t row = b * 2 + n;
      const auto count = static_cast<int64_t>(expected_index.size());
      ASSERT_LE(count, longest);
      EXPECT_EQ(hits.valid[row].sum().item<int64_t>(), count);
      EXPECT_TRUE(hits.valid[row].slice(0, 0, count).all().item<bool>());
      EXPECT_TRUE(at::equal(hits.query_index[row].slice(0, 0, count), at::tensor(expected_index, at::kLong)));
      EXPECT_TRUE(at::allclose(hits.locations[row].slice(0, 0, count).flatten().to(at::kDouble),
                               at::tensor(expected_xy, at::kDouble), 1e-4, 1e-5));
      EXPECT_TRUE(hits.query_index[row].slice(0, count).eq(0).all().item<bool>());
    }
  }
  // The designed points in frame 0: A and F seen by both, B by camera 0, C by
  // camera 1, D (behind, though its mirror image lies inside camera 0) and E
  // by none.
  const at::Tensor frame0 = hits.hit[0].slice(1, 0, 6).to(at::kInt);
  EXPECT_TRUE(at::equal(frame0, at::tensor({1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1}, at::kInt).view({2, 6})));
  EXPECT_TRUE(
      at::equal(hits.count[0].slice(0, 0, 6), at::tensor({2.0f, 1.0f, 1.0f, 0.0f, 0.0f, 2.0f}, at::kFloat)));
}

TEST(SpatialCrossAttention, GatherAndScatterAreAdjoint) {
  const Rig rig = two_camera_rig();
  const at::Tensor points = designed_points();
  const CameraHits hits = find_camera_hits(points, rig.intrinsics, rig.ego_from_camera, kHeight, kWidth);
  const at::Tensor per_query = at::randn({2, 6, 3});
  const at::Tensor gathered = gather_hits(per_query, hits);
  ASSERT_EQ(gathered.sizes().vec(), (std::vector<int64_t>{4, hits.query_index.size(1), 3}));
  // Scattering back sums the copies: each query times its camera count.
  EXPECT_TRUE(at::allclose(scatter_add_hits(gathered, hits), per_query * hits.count.unsqueeze(-1)));
  // Padding is zero.
  EXPECT_EQ(gathered.masked_select(hits.valid.logical_not().unsqueeze(-1)).abs().sum().item<float>(), 0.0f);
  EXPECT_THROW(gather_hits(at::randn({2, 5, 3}), hits), UsageError);
}

struct Fixture {
  SpatialCrossAttention attention{nullptr};
  std::vector<at::Tensor> levels;  // [B*N, d, H, W]
  CameraHits hits;
  at::Tensor points, query, query_pos;
};

Fixture make_fixture(bool randomise) {
  at::manual_seed(2);
  constexpr int64_t dims = 8;
  SpatialCrossAttentionOptions options;
  options.embed_dims = dims;
  options.num_heads = 2;
  options.num_levels = 2;
  options.num_points = 2;
  options.dropout = 0.0;
  Fixture fixture;
  fixture.attention = SpatialCrossAttention(options);
  if (randomise) {
    torch::NoGradGuard no_grad;
    // Non-uniform attention and a non-zero output bias so that every part shows.
    auto& msda = *fixture.attention->deformable_attention;
    msda.attention_weights->weight.normal_(0, 0.5);
    msda.sampling_offsets->weight.normal_(0, 0.1);
    fixture.attention->output_proj->bias.normal_();
  }
  const Rig rig = two_camera_rig();
  fixture.points = at::cat({designed_points(), at::rand({20, 3}) * at::tensor({16.0f, 16.0f, 3.0f}) -
                                                   at::tensor({8.0f, 8.0f, 1.5f})});
  fixture.hits = find_camera_hits(fixture.points, rig.intrinsics, rig.ego_from_camera, kHeight, kWidth);
  fixture.levels = {at::randn({4, dims, 4, 6}), at::randn({4, dims, 2, 3})};
  const int64_t queries = fixture.points.size(0);
  fixture.query = at::randn({2, queries, dims});
  fixture.query_pos = at::randn({2, queries, dims});
  return fixture;
}

TEST(SpatialCrossAttention, MatchesALoopOverQueriesAndCameras) {
  Fixture fixture = make_fixture(/*randomise=*/true);
  const CameraFeatures features = flatten_camera_features(fixture.levels);
  SpatialCrossAttentionTrace trace;
  const at::Tensor output =
      fixture.attention->forward(fixture.query, fixture.query_pos, features, fixture.hits, &trace);

  auto& msda = *fixture.attention->deformable_attention;
  const int64_t queries = fixture.points.size(0);
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t q = 0; q < queries; ++q) {
      at::Tensor sum = at::zeros({8});
      int cameras = 0;
      for (int64_t n = 0; n < 2; ++n) {
        if (!fixture.hits.hit[b][n][q].item<bool>()) continue;
        // This query alone against this camera's features.
        const int64_t row = b * 2 + n;
        const at::Tensor slot =
            (fixture.hits.query_index[row].eq(q) & fixture.hits.valid[row]).nonzero().flatten();
        ASSERT_EQ(slot.numel(), 1);
        const at::Tensor location = fixture.hits.locations[row][slot.item<int64_t>()].view({1, 1, 2});
        const auto single = msda.forward((fixture.query[b][q] + fixture.query_pos[b][q]).view({1, 1, 8}),
                                         location, features.value.slice(0, row, row + 1),
                                         features.spatial_shapes, features.level_start_index);
        sum = sum + single.output.view({8});
        ++cameras;
        EXPECT_TRUE(at::allclose(trace.sampling_locations[row][slot.item<int64_t>()],
                                 single.sampling_locations[0][0], 1e-5, 1e-6));
        EXPECT_TRUE(at::allclose(trace.attention_weights[row][slot.item<int64_t>()],
                                 single.attention_weights[0][0], 1e-5, 1e-6));
      }
      const at::Tensor mean = sum / std::max(cameras, 1);
      const at::Tensor expected = fixture.query[b][q] + fixture.attention->output_proj->forward(mean);
      EXPECT_TRUE(at::allclose(output[b][q], expected, 1e-4, 1e-5)) << "frame " << b << " query " << q;
    }
  }
}

TEST(SpatialCrossAttention, UnseenQueriesKeepOnlyTheResidual) {
  Fixture fixture = make_fixture(/*randomise=*/false);
  const at::Tensor output = fixture.attention->forward(fixture.query, fixture.query_pos,
                                                       flatten_camera_features(fixture.levels), fixture.hits);
  // D (behind) and E (above) are seen by no camera in either frame; the
  // output projection starts with a zero bias.
  for (int64_t b = 0; b < 2; ++b) {
    EXPECT_TRUE(at::equal(output[b][3], fixture.query[b][3]));
    EXPECT_TRUE(at::equal(output[b][4], fixture.query[b][4]));
    EXPECT_FALSE(at::allclose(output[b][0], fixture.query[b][0]));
  }
}

TEST(SpatialCrossAttention, HookReplacesTheGatheredQueries) {
  Fixture fixture = make_fixture(/*randomise=*/true);
  const CameraFeatures features = flatten_camera_features(fixture.levels);
  const at::Tensor plain =
      fixture.attention->forward(fixture.query, fixture.query_pos, features, fixture.hits);
  std::vector<int64_t> seen_shape;
  const at::Tensor identity =
      fixture.attention->forward(fixture.query, fixture.query_pos, features, fixture.hits, nullptr,
                                 [&](const at::Tensor& gathered, const CameraHits&) {
                                   seen_shape = gathered.sizes().vec();
                                   return gathered;
                                 });
  EXPECT_EQ(seen_shape, (std::vector<int64_t>{4, fixture.hits.query_index.size(1), 8}));
  EXPECT_TRUE(at::allclose(plain, identity));
  // Dropping the position inside the hook equals attending without it.
  const at::Tensor without_pos =
      fixture.attention->forward(fixture.query, at::Tensor(), features, fixture.hits);
  const at::Tensor hooked =
      fixture.attention->forward(fixture.query, fixture.query_pos, features, fixture.hits, nullptr,
                                 [&](const at::Tensor& gathered, const CameraHits& hits) {
                                   return gathered - gather_hits(fixture.query_pos, hits);
                                 });
  EXPECT_TRUE(at::allclose(hooked, without_pos, 1e-5, 1e-6));
}

TEST(SpatialCrossAttention, GradientsReachQueriesAndFeatures) {
  Fixture fixture = make_fixture(/*randomise=*/true);
  fixture.query.set_requires_grad(true);
  fixture.levels[0].set_requires_grad(true);
  const at::Tensor output = fixture.attention->forward(fixture.query, fixture.query_pos,
                                                       flatten_camera_features(fixture.levels), fixture.hits);
  output.pow(2).sum().backward();
  EXPECT_GT(fixture.query.grad().abs().sum().item<float>(), 0.0f);
  EXPECT_GT(fixture.levels[0].grad().abs().sum().item<float>(), 0.0f);
}

}  // namespace
}  // namespace occ::models
