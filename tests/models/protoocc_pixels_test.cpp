// ProtoOcc prototype-aware pixel features (Eq. 2): the bilinear splat of the
// cross-attention samples onto the prototype grid, X against a dense
// computation, and the gradients.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "core/error.h"
#include "models/protoocc/prototype_pixels.h"
#include "models/protoocc/sparse_splat.h"

namespace occ::models {
namespace {

// Hits of `images` x `length` padded rows with the first `valid_per_row[i]`
// rows valid (only `valid` is read by the splat).
CameraHits hits_with(const std::vector<int64_t>& valid_per_row, int64_t length) {
  CameraHits hits;
  hits.batch = 1;
  hits.cameras = static_cast<int64_t>(valid_per_row.size());
  hits.valid = at::zeros({hits.cameras, length}, at::kBool);
  for (int64_t i = 0; i < hits.cameras; ++i)
    hits.valid[i].slice(0, 0, valid_per_row[static_cast<size_t>(i)]).fill_(true);
  return hits;
}

SpatialCrossAttentionTrace one_sample(double x, double y, double weight) {
  SpatialCrossAttentionTrace trace;
  trace.sampling_locations =
      at::tensor({static_cast<float>(x), static_cast<float>(y)}).view({1, 1, 1, 1, 1, 2});
  trace.attention_weights = at::full({1, 1, 1, 1, 1}, weight);
  return trace;
}

TEST(SplatAttentionMap, OneSamplePutsBilinearWeightsOnTheFourCellsAroundIt) {
  // 4x5 grid: u = x * 5 - 0.5 = 1.3 (columns 1, 2 with 0.7, 0.3),
  // v = y * 4 - 0.5 = 2.25 (rows 2, 3 with 0.75, 0.25).
  const at::Tensor map = splat_attention_map(one_sample(1.8 / 5, 2.75 / 4, 0.4), hits_with({1}, 1), 4, 5)
                             .to_dense()
                             .view({4, 5});
  at::Tensor expected = at::zeros({4, 5});
  expected[2][1] = 0.7 * 0.75;
  expected[2][2] = 0.3 * 0.75;
  expected[3][1] = 0.7 * 0.25;
  expected[3][2] = 0.3 * 0.25;
  EXPECT_TRUE(at::allclose(map, expected, 1e-5, 1e-6)) << map;
}

TEST(SplatAttentionMap, RowsSumToOneAndWeightOutsideTheGridIsDropped) {
  // Query 0: a sample at the centre of cell (0, 0) with weight 0.25 and one
  // half way between cells (1, 1) and (1, 2) with weight 0.75. Query 1: a
  // sample at the top-left corner of the image: only cell (0, 0) is inside.
  // Query 2 is padding.
  SpatialCrossAttentionTrace trace;
  trace.sampling_locations =
      at::tensor({0.5f / 3, 0.5f / 2, 2.0f / 3, 1.5f / 2, 0.0f, 0.0f, 0.0f, 0.0f, 0.3f, 0.3f, 0.6f, 0.6f})
          .view({1, 3, 1, 1, 2, 2});
  trace.attention_weights = at::tensor({0.25f, 0.75f, 0.5f, 0.5f, 0.5f, 0.5f}).view({1, 3, 1, 1, 2});
  const at::Tensor map = splat_attention_map(trace, hits_with({2}, 3), 2, 3).to_dense();
  at::Tensor expected = at::zeros({3, 6});
  expected[0][0] = 0.25;
  expected[0][4] = 0.375;
  expected[0][5] = 0.375;
  expected[1][0] = 1.0;
  EXPECT_TRUE(at::allclose(map, expected, 1e-5, 1e-6)) << map;
}

TEST(SplatAttentionMap, ChunkSizeDoesNotChangeTheMap) {
  at::manual_seed(21);
  SpatialCrossAttentionTrace trace;
  trace.sampling_locations = at::rand({2, 7, 2, 3, 4, 2}) * 1.2 - 0.1;
  trace.attention_weights = at::softmax(at::randn({2, 7, 2, 12}), -1).view({2, 7, 2, 3, 4});
  const CameraHits hits = hits_with({7, 4}, 7);
  const at::Tensor whole = splat_attention_map(trace, hits, 3, 4).to_dense();
  const at::Tensor blocked = splat_attention_map(trace, hits, 3, 4, /*chunk_rows=*/2).to_dense();
  EXPECT_TRUE(at::allclose(whole, blocked));
  EXPECT_TRUE(at::allclose(whole.sum(1).slice(0, 0, 11), at::ones({11})));
  EXPECT_TRUE(at::equal(whole.slice(0, 11, 14), at::zeros({3, 12})));
}

TEST(SplatRowsPerImage, MatchesTheDenseProductAndItsGradient) {
  at::manual_seed(25);
  const int64_t images = 3, length = 5, cells = 7, dims = 4;
  const at::Tensor dense = at::rand({images * length, cells}, at::kDouble) *
                           (at::rand({images * length, cells}, at::kDouble) < 0.4).to(at::kDouble);
  const at::Tensor rows = at::randn({images * length, dims}, at::kDouble).requires_grad_(true);
  const at::Tensor probe = at::randn({images * cells, dims}, at::kDouble);
  const at::Tensor got = splat_rows_per_image(dense.to_sparse(), rows, images);
  (got * probe).sum().backward();
  const at::Tensor got_grad = rows.grad().clone();
  rows.grad().zero_();
  // Image b's queries only reach image b's cells.
  const at::Tensor blocks = dense.view({images, length, cells});
  const at::Tensor want =
      at::bmm(blocks.transpose(1, 2), rows.view({images, length, dims})).reshape({-1, dims});
  (want * probe).sum().backward();
  EXPECT_TRUE(at::allclose(got, want, 1e-12, 1e-12));
  EXPECT_TRUE(at::allclose(got_grad, rows.grad(), 1e-12, 1e-12));
  EXPECT_THROW(splat_rows_per_image(dense.to_sparse(), rows, 4), UsageError);
}

struct PixelsCase {
  SpatialCrossAttentionTrace trace;
  CameraHits hits;
  PrototypeMappingOutput mapping;
};
PixelsCase random_case(int64_t images, int64_t length, int64_t prototypes, int64_t dims) {
  PixelsCase c;
  c.trace.sampling_locations = at::rand({images, length, 2, 2, 3, 2});
  c.trace.attention_weights =
      at::softmax(at::randn({images, length, 2, 6}), -1).view({images, length, 2, 2, 3});
  std::vector<int64_t> valid(static_cast<size_t>(images), length);
  valid.back() = length / 2;
  c.hits = hits_with(valid, length);
  c.mapping.affinity = at::rand({images, prototypes, length}) * c.hits.valid.unsqueeze(1);
  c.mapping.voxel_prototypes = at::randn({images, prototypes, dims}).requires_grad_(true);
  return c;
}

TEST(PrototypePixels, SparseSplatMatchesTheDenseProductOfItsOwnMap) {
  at::manual_seed(22);
  const int64_t images = 2, length = 6, prototypes = 4, dims = 3, gh = 3, gw = 5;
  const PixelsCase c = random_case(images, length, prototypes, dims);
  PrototypePixels pixels;
  const at::Tensor x = pixels->forward(c.trace, c.hits, c.mapping, gh, gw);
  ASSERT_EQ(x.sizes(), (at::IntArrayRef{images, dims, gh, gw}));

  const at::Tensor g =
      splat_attention_map(c.trace, c.hits, gh, gw).to_dense().view({images, length, gh * gw});
  const at::Tensor h = at::softmax(10.0 * c.mapping.affinity, 1);  // [BN, M, L]
  // Cell probabilities over prototypes G^T H(A)^T, times P_vox.
  const at::Tensor expected =
      at::bmm(at::bmm(g.transpose(1, 2), h.transpose(1, 2)), c.mapping.voxel_prototypes);
  EXPECT_TRUE(at::allclose(x, expected.transpose(1, 2).reshape({images, dims, gh, gw}), 1e-5, 1e-6));

  x.pow(2).sum().backward();
  EXPECT_GT(c.mapping.voxel_prototypes.grad().abs().sum().item<float>(), 0);
  ASSERT_TRUE(pixels->affinity_scale.grad().defined());
  EXPECT_NE(pixels->affinity_scale.grad().item<float>(), 0);
}

// Eq. 2 as the paper writes it (the "paper" preset: H linear, no per-cell
// normalisation or centring), by hand, on a 1 x 2 grid (cell centres at
// x = 0.25 and 0.75), two prototypes, three queries and one padding row:
//   P_vox1 = (1, 0), P_vox2 = (0, 2);
//   A (rows prototypes, columns queries) = [[0.5, 0, 0.25, *], [0, 0.8, 0.5, *]];
//   G: q1 one sample at cell 0's centre, q2 at cell 1's, q3 at x = 0.5,
//      half way (u = 0.5 * 2 - 0.5 = 0.5), so 0.5 on each cell.
// H(a) = w a + b with w = 2, b = 0.1:
//   q1: H = (1.1, 0.1) -> 1.1 (1, 0) + 0.1 (0, 2) = (1.1, 0.2)
//   q2: H = (0.1, 1.7) -> (0.1, 3.4)
//   q3: H = (0.6, 1.1) -> (0.6, 2.2)
//   X[cell 0] = q1 + 0.5 q3 = (1.4, 1.3); X[cell 1] = q2 + 0.5 q3 = (0.4, 4.5).
// With gradient through G: d X[cell 1][1] / d x(q3) = 2 (du/dx) x 2.2 = 4.4.
struct HandPixels {
  SpatialCrossAttentionTrace trace;
  CameraHits hits = hits_with({3}, 4);
  PrototypeMappingOutput mapping;
  HandPixels() {
    trace.sampling_locations =
        at::tensor({0.25f, 0.5f, 0.75f, 0.5f, 0.5f, 0.5f, 0.1f, 0.5f}).view({1, 4, 1, 1, 1, 2});
    trace.attention_weights = at::tensor({0.3f, 0.9f, 0.6f, 0.4f}).view({1, 4, 1, 1, 1});
    mapping.affinity = at::tensor({0.5f, 0.0f, 0.25f, 0.0f, 0.0f, 0.8f, 0.5f, 0.0f}).view({1, 2, 4});
    mapping.voxel_prototypes = at::tensor({1.0f, 0.0f, 0.0f, 2.0f}).view({1, 2, 2});
  }
};

PrototypePixels paper_pixels(bool attention_gradient) {
  PrototypePixelsOptions options;
  options.affinity_map = AffinityMap::linear;
  options.attention_gradient = attention_gradient;
  PrototypePixels pixels(options);
  at::NoGradGuard no_grad;
  pixels->map_weight.fill_(2.0);
  pixels->map_bias.fill_(0.1);
  return pixels;
}

TEST(PrototypePixels, PaperEquationTwoByHand) {
  const at::Tensor expected = at::tensor({1.4f, 0.4f, 1.3f, 4.5f}).view({1, 2, 1, 2});  // [BN, d, h, w]
  for (const bool gradient : {false, true}) {
    HandPixels c;
    c.trace.sampling_locations.requires_grad_(true);
    PrototypePixels pixels = paper_pixels(gradient);
    const at::Tensor x = pixels->forward(c.trace, c.hits, c.mapping, 1, 2);
    EXPECT_TRUE(at::allclose(x, expected, 0, 1e-5)) << "gradient through G " << gradient << ": " << x;
    x[0][1][0][1].backward();
    if (gradient) {
      ASSERT_TRUE(c.trace.sampling_locations.grad().defined());
      EXPECT_NEAR(c.trace.sampling_locations.grad()[0][2][0][0][0][0].item<double>(), 4.4, 1e-4);
      // q1 and q2 sit at cell centres: moving them along x shifts weight
      // onto the neighbour at rate 2 per unit, times their vector's entry 1.
      EXPECT_NEAR(c.trace.sampling_locations.grad()[0][0][0][0][0][0].item<double>(), 2 * 0.2, 1e-4);
    } else {
      EXPECT_FALSE(c.trace.sampling_locations.grad().defined());
    }
    // d/db: (G[q2, 1] + G[q3, 1]) x (P_vox1 + P_vox2)[1] = 1.5 x 2.
    EXPECT_NEAR(pixels->map_bias.grad().item<double>(), 3.0, 1e-5);
  }
}

// The dense map with gradient is the sparse map; its gradient to the
// attention weights matches finite differences.
TEST(PrototypePixels, DenseAttentionMapMatchesTheSparseOneAndFiniteDifferences) {
  at::manual_seed(26);
  SpatialCrossAttentionTrace trace;
  trace.sampling_locations = (at::rand({2, 5, 2, 1, 3, 2}, at::kDouble) * 1.2 - 0.1).requires_grad_(true);
  trace.attention_weights =
      at::softmax(at::randn({2, 5, 2, 3}, at::kDouble), -1).view({2, 5, 2, 1, 3}).requires_grad_(true);
  const CameraHits hits = hits_with({5, 3}, 5);
  const at::Tensor dense = attention_map_with_gradient(trace, hits, 3, 4);
  // The sparse map is computed in float (and returned in the trace's type).
  EXPECT_TRUE(
      at::allclose(dense.view({10, 12}), splat_attention_map(trace, hits, 3, 4).to_dense(), 1e-5, 1e-6));
  const at::Tensor probe = at::randn({2, 5, 12}, at::kDouble);
  (dense * probe).sum().backward();
  const at::Tensor analytic = trace.attention_weights.grad().clone();
  const double step = 1e-6;
  at::NoGradGuard no_grad;
  for (const int64_t flat : {0, 7, 13, 22}) {
    at::Tensor weights = trace.attention_weights.detach().clone();
    weights.view({-1})[flat] += step;
    SpatialCrossAttentionTrace moved{trace.sampling_locations.detach(), weights};
    const double plus = (attention_map_with_gradient(moved, hits, 3, 4) * probe).sum().item<double>();
    weights.view({-1})[flat] -= 2 * step;
    const double minus = (attention_map_with_gradient(moved, hits, 3, 4) * probe).sum().item<double>();
    EXPECT_NEAR(analytic.view({-1})[flat].item<double>(), (plus - minus) / (2 * step), 1e-6) << flat;
  }
}

// ProtoOcc's configuration: each cell the attention-weighted mean of the
// query vectors (divided by the mass G put on it), minus the image's mean
// over the cells some query looked at; cells nobody looked at stay 0.
TEST(PrototypePixels, NormalisedAndCentredCellsMatchADenseComputation) {
  at::manual_seed(24);
  const int64_t images = 2, length = 6, prototypes = 4, dims = 3, gh = 3, gw = 5;
  const PixelsCase c = random_case(images, length, prototypes, dims);
  PrototypePixelsOptions options;
  options.normalise_cells = true;
  options.centre_cells = true;
  PrototypePixels pixels(options);
  const at::Tensor x = pixels->forward(c.trace, c.hits, c.mapping, gh, gw);

  const at::Tensor g =
      splat_attention_map(c.trace, c.hits, gh, gw).to_dense().view({images, length, gh * gw});
  const at::Tensor h = at::softmax(10.0 * c.mapping.affinity, 1);
  const at::Tensor sums = at::bmm(at::bmm(g.transpose(1, 2), h.transpose(1, 2)), c.mapping.voxel_prototypes);
  const at::Tensor mass = g.sum(1).unsqueeze(2);  // [images, cells, 1]
  at::Tensor expected = at::zeros_like(sums);
  for (int64_t b = 0; b < images; ++b) {
    std::vector<int64_t> looked_at;
    for (int64_t cell = 0; cell < gh * gw; ++cell)
      if (mass[b][cell][0].item<double>() > 0) looked_at.push_back(cell);
    ASSERT_FALSE(looked_at.empty());
    at::Tensor mean = at::zeros({dims});
    for (int64_t cell : looked_at) mean += sums[b][cell] / mass[b][cell];
    mean /= static_cast<double>(looked_at.size());
    for (int64_t cell : looked_at) expected[b][cell] = sums[b][cell] / mass[b][cell] - mean;
  }
  EXPECT_TRUE(at::allclose(x, expected.transpose(1, 2).reshape({images, dims, gh, gw}), 1e-4, 1e-5));
  x.pow(2).sum().backward();
  EXPECT_GT(c.mapping.voxel_prototypes.grad().abs().sum().item<float>(), 0);
}

TEST(PrototypePixels, PaddingQueriesContributeNothing) {
  at::manual_seed(23);
  PixelsCase c = random_case(1, 4, 3, 2);
  c.hits = hits_with({2}, 4);
  PrototypePixels pixels;
  const at::Tensor x = pixels->forward(c.trace, c.hits, c.mapping, 2, 3);
  // Move the padding queries' samples and weights elsewhere: X is unchanged.
  c.trace.sampling_locations.slice(1, 2, 4).uniform_();
  c.trace.attention_weights.slice(1, 2, 4).mul_(7);
  EXPECT_TRUE(at::allclose(pixels->forward(c.trace, c.hits, c.mapping, 2, 3), x));
}

TEST(PrototypePixels, ImagesWithoutHitsGiveZeroFeatures) {
  PixelsCase c = random_case(2, 3, 4, 5);
  c.hits = hits_with({0, 0}, 3);
  PrototypePixels pixels;
  const at::Tensor x = pixels->forward(c.trace, c.hits, c.mapping, 2, 2);
  EXPECT_TRUE(at::equal(x, at::zeros({2, 5, 2, 2})));
  x.sum().backward();
  EXPECT_TRUE(at::equal(c.mapping.voxel_prototypes.grad(), at::zeros({2, 4, 5})));
}

TEST(PrototypePixels, RejectsMismatchedInputs) {
  const PixelsCase c = random_case(2, 3, 4, 5);
  PrototypePixels pixels;
  PrototypeMappingOutput wrong = c.mapping;
  wrong.affinity = wrong.affinity.slice(2, 0, 2);
  EXPECT_THROW(pixels->forward(c.trace, c.hits, wrong, 2, 2), UsageError);
  SpatialCrossAttentionTrace no_trace;
  EXPECT_THROW(pixels->forward(no_trace, c.hits, c.mapping, 2, 2), UsageError);
  EXPECT_THROW(splat_attention_map(c.trace, c.hits, 0, 2), UsageError);
}

long peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

// ProtoOcc-Small sizes (protoocc.md): 6 cameras, ~8000 hit queries each,
// 8 heads x 5 levels x 8 points, M = 350, a 56x100 grid, d = 256. Run by
// hand: --gtest_also_run_disabled_tests --gtest_filter='*SmallSizes*'.
TEST(PrototypePixels, DISABLED_SmallSizesTimeAndMemory) {
  at::manual_seed(24);
  const int64_t images = 6, length = 8000, prototypes = 350, dims = 256, gh = 56, gw = 100;
  SpatialCrossAttentionTrace trace;
  // Samples clustered around each query's reference point, as deformable
  // attention's offsets are.
  const at::Tensor reference = at::rand({images, length, 1, 1, 1, 2});
  trace.sampling_locations = (reference + 0.02 * at::randn({images, length, 8, 5, 8, 2})).clamp(0, 1);
  trace.attention_weights =
      at::softmax(at::randn({images, length, 8, 40}), -1).view({images, length, 8, 5, 8});
  CameraHits hits;
  hits.batch = 1;
  hits.cameras = images;
  hits.valid = at::ones({images, length}, at::kBool);
  PrototypeMappingOutput mapping;
  mapping.affinity = at::rand({images, prototypes, length});
  mapping.voxel_prototypes = at::randn({images, prototypes, dims}).requires_grad_(true);
  PrototypePixels pixels;
  const auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  const long before = peak_rss_mib();
  const auto start = std::chrono::steady_clock::now();
  const at::Tensor map = splat_attention_map(trace, hits, gh, gw);
  const auto splatted = std::chrono::steady_clock::now();
  const at::Tensor x = pixels->forward(trace, hits, mapping, gh, gw);
  const auto forward = std::chrono::steady_clock::now();
  x.sum().backward();
  const auto backward = std::chrono::steady_clock::now();
  std::printf(
      "G alone %.0f ms (nnz %ld = %.1f per query); X forward (G included) %.0f ms; backward %.0f ms\n",
      ms(start, splatted), static_cast<long>(map._nnz()),
      static_cast<double>(map._nnz()) / static_cast<double>(images * length), ms(splatted, forward),
      ms(forward, backward));
  // The parts of the forward: H(A)^T . P_vox and the splat of its rows.
  const auto t0 = std::chrono::steady_clock::now();
  const at::Tensor per_query =
      at::bmm(at::softmax(mapping.affinity * 10.0, 1).transpose(1, 2), mapping.voxel_prototypes.detach());
  const auto t1 = std::chrono::steady_clock::now();
  const at::Tensor splat_only = splat_rows_per_image(map, per_query.reshape({images * length, dims}), images);
  const auto t2 = std::chrono::steady_clock::now();
  {
    const at::Tensor r = per_query.reshape({images * length, dims}).detach().requires_grad_(true);
    const auto a0 = std::chrono::steady_clock::now();
    at::Tensor y = at::mm(map.t(), r);  // all images into one grid: same work
    const auto a1 = std::chrono::steady_clock::now();
    y.sum().backward();
    const auto a2 = std::chrono::steady_clock::now();
    y = splat_rows_per_image(map, r, images);
    const auto a3 = std::chrono::steady_clock::now();
    y.sum().backward();
    const auto a4 = std::chrono::steady_clock::now();
    std::printf("G^T . rows forward + backward: at::mm %.0f + %.0f ms, splat_rows_per_image %.0f + %.0f ms\n",
                ms(a0, a1), ms(a1, a2), ms(a2, a3), ms(a3, a4));
  }
  std::printf("H(A)^T . P_vox %.0f ms; G^T . rows %.0f ms; peak RSS %ld -> %ld MiB\n", ms(t0, t1), ms(t1, t2),
              before, peak_rss_mib());
  EXPECT_EQ(x.sizes(), (at::IntArrayRef{images, dims, gh, gw}));
}

}  // namespace
}  // namespace occ::models
