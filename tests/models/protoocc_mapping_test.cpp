// ProtoOcc prototype mapping (Eq. 1a Aggregate, Eq. 1b Dispatch) against a
// direct computation with explicit loops, and the handling of padding.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "models/protoocc/prototype_grouping.h"
#include "models/protoocc/prototype_mapping.h"

namespace occ::models {
namespace {

constexpr int64_t kImages = 2, kPrototypes = 3, kQueries = 4, kDims = 5, kHidden = 6;

// Row 0: four hit queries; row 1: two, then padding.
at::Tensor two_rows_valid() {
  return at::tensor({1, 1, 1, 1, 1, 1, 0, 0}, at::kByte).view({kImages, kQueries}).to(at::kBool);
}

double cosine(const at::Tensor& a, const at::Tensor& b) {
  double dot = 0, na = 0, nb = 0;
  for (int64_t i = 0; i < a.size(0); ++i) {
    const double x = a[i].item<double>(), y = b[i].item<double>();
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / std::sqrt(na) / std::sqrt(nb);
}

// Eq. 1 (soft assignment) written out element by element; the two MLPs are the module's own
// layers (they are plain Linear-ReLU-Linear and not what is under test).
PrototypeMappingOutput mapping_by_loops(PrototypeMapping& module, const at::Tensor& prototypes,
                                        const at::Tensor& queries, const at::Tensor& valid) {
  const auto& options = module->options();
  const double alpha = options.learnable_affinity ? module->alpha.item<double>() : 1.0;
  const double beta = options.learnable_affinity ? module->beta.item<double>() : 0.0;
  const at::Tensor projected =
      module->projection_out->forward(at::relu(module->projection_in->forward(prototypes))).detach();
  PrototypeMappingOutput out;
  out.affinity = at::zeros({kImages, kPrototypes, kQueries}, at::kDouble);
  out.voxel_prototypes = at::zeros({kImages, kPrototypes, kDims}, at::kDouble);
  at::Tensor dispatched = at::zeros({kImages, kQueries, kDims}, at::kDouble);
  for (int64_t b = 0; b < kImages; ++b) {
    for (int64_t m = 0; m < kPrototypes; ++m) {
      double mass = 0;
      std::vector<double> sum(kDims, 0.0);
      for (int64_t l = 0; l < kQueries; ++l) {
        if (!valid[b][l].item<bool>()) continue;
        const double c = cosine(projected[b][m], queries[b][l]);
        const double s = 1.0 / (1.0 + std::exp(-(beta + alpha * c)));
        out.affinity[b][m][l] = s;
        mass += s;
        for (int64_t k = 0; k < kDims; ++k) sum[k] += s * queries[b][l][k].item<double>();
      }
      const double r = options.count_prototype_in_aggregate ? 1.0 + mass : mass;
      for (int64_t k = 0; k < kDims; ++k)
        out.voxel_prototypes[b][m][k] = (projected[b][m][k].item<double>() + sum[k]) / r;
    }
    for (int64_t l = 0; l < kQueries; ++l) {
      double mass = 0;
      for (int64_t m = 0; m < kPrototypes; ++m) {
        const double s = out.affinity[b][m][l].item<double>();
        mass += s;
        for (int64_t k = 0; k < kDims; ++k)
          dispatched[b][l][k] += s * out.voxel_prototypes[b][m][k].item<double>();
      }
      if (options.normalise_dispatch && mass > 0) dispatched[b][l] /= mass;
    }
  }
  const at::Tensor updated =
      queries + module->dispatch_out->forward(at::relu(module->dispatch_in->forward(dispatched)));
  out.queries = queries.clone();
  for (int64_t b = 0; b < kImages; ++b)
    for (int64_t l = 0; l < kQueries; ++l)
      if (valid[b][l].item<bool>()) out.queries[b][l] = updated[b][l].detach();
  return out;
}

class PrototypeMappingEquation : public ::testing::TestWithParam<std::pair<bool, bool>> {};

TEST_P(PrototypeMappingEquation, MatchesADirectComputation) {
  at::manual_seed(11);
  PrototypeMappingOptions options;
  options.embed_dims = kDims;
  options.hidden_dims = kHidden;
  options.count_prototype_in_aggregate = GetParam().first;
  options.normalise_dispatch = GetParam().second;
  PrototypeMapping module(options);
  module->to(at::kDouble);
  {
    at::NoGradGuard no_grad;
    module->alpha.fill_(1.7);
    module->beta.fill_(-0.4);
  }
  const at::Tensor prototypes = at::randn({kImages, kPrototypes, kDims}, at::kDouble);
  const at::Tensor queries = at::randn({kImages, kQueries, kDims}, at::kDouble);
  const at::Tensor valid = two_rows_valid();
  const PrototypeMappingOutput got = module->forward(prototypes, queries, valid);
  at::NoGradGuard no_grad;
  const PrototypeMappingOutput want = mapping_by_loops(module, prototypes, queries, valid);
  EXPECT_TRUE(at::allclose(got.affinity, want.affinity, 1e-10, 1e-12));
  EXPECT_TRUE(at::allclose(got.voxel_prototypes, want.voxel_prototypes, 1e-10, 1e-12));
  EXPECT_TRUE(at::allclose(got.queries, want.queries, 1e-10, 1e-12));
  // Affinity strictly inside (0, 1) where valid.
  const at::Tensor hit_affinity = got.affinity[0];
  EXPECT_GT(hit_affinity.min().item<double>(), 0.0);
  EXPECT_LT(hit_affinity.max().item<double>(), 1.0);
}

INSTANTIATE_TEST_SUITE_P(PrototypeMappingNormalisers, PrototypeMappingEquation,
                         ::testing::Values(std::make_pair(true, true), std::make_pair(false, false),
                                           std::make_pair(true, false)));

TEST(PrototypeMapping, PlainSigmoidHasNoAffineParameters) {
  PrototypeMappingOptions options;
  options.embed_dims = kDims;
  options.hidden_dims = kHidden;
  options.learnable_affinity = false;
  PrototypeMapping module(options);
  for (const auto& parameter : module->named_parameters())
    EXPECT_TRUE(parameter.key() != "alpha" && parameter.key() != "beta") << parameter.key();
  EXPECT_FALSE(module->alpha.defined());
}

// Linear layers of size d x d set to the identity: with non-negative inputs
// each Linear-ReLU-Linear MLP is then the identity, so Eq. 1 can be worked
// out by hand.
void make_mlps_identity(PrototypeMapping& module) {
  at::NoGradGuard no_grad;
  for (torch::nn::Linear* layer :
       {&module->projection_in, &module->projection_out, &module->dispatch_in, &module->dispatch_out}) {
    (*layer)->weight.copy_(at::eye((*layer)->weight.size(0), at::kDouble));
    (*layer)->bias.zero_();
  }
}

// Three prototypes and four queries in 2D:
//   P1 = (1, 0), P2 = (0, 1), P3 = (1, 1);
//   Q1 = (2, 0), Q2 = (0, 3), Q3 = (1, 1), Q4 = (3, 1).
// Cosines (rows P, columns Q):
//   P1: 1, 0, 1/sqrt2 = 0.7071068, 3/sqrt10 = 0.9486833
//   P2: 0, 1, 0.7071068, 1/sqrt10 = 0.3162278
//   P3: 0.7071068, 0.7071068, 1, 4/sqrt20 = 0.8944272
// Each query's most similar prototype: Q1 -> P1, Q2 -> P2, Q3 -> P3, Q4 -> P1.
// sigmoid(1) = 0.7310586, sigmoid(0.9486833) = 0.7208503.
struct HandCase {
  at::Tensor prototypes = at::tensor({1.0, 0.0, 0.0, 1.0, 1.0, 1.0}, at::kDouble).view({1, 3, 2});
  at::Tensor queries = at::tensor({2.0, 0.0, 0.0, 3.0, 1.0, 1.0, 3.0, 1.0}, at::kDouble).view({1, 4, 2});
  at::Tensor valid = at::ones({1, 4}, at::kBool);
};

PrototypeMapping hand_module(bool learnable_affinity, bool hard, bool counts_prototype, bool normalise) {
  PrototypeMappingOptions options;
  options.embed_dims = 2;
  options.hidden_dims = 2;
  options.learnable_affinity = learnable_affinity;
  options.hard_assignment = hard;
  options.count_prototype_in_aggregate = counts_prototype;
  options.normalise_dispatch = normalise;
  PrototypeMapping module(options);
  module->to(at::kDouble);
  make_mlps_identity(module);
  return module;
}

// The paper's Eq. 1 with Context Clusters' best-centre assignment (the
// "paper" preset): sigma(A) = sigmoid(cos) kept only at each query's best
// prototype, R = sum of the kept sigma(A), plain dispatch.
TEST(PrototypeMapping, PaperEquationOneByHand) {
  const HandCase c;
  PrototypeMapping module = hand_module(false, true, false, false);
  const PrototypeMappingOutput out = module->forward(c.prototypes, c.queries, c.valid);
  const double s1 = 0.7310586, s4 = 0.7208503;
  const at::Tensor affinity =
      at::tensor({s1, 0.0, 0.0, s4, 0.0, s1, 0.0, 0.0, 0.0, 0.0, s1, 0.0}, at::kDouble).view({1, 3, 4});
  EXPECT_TRUE(at::allclose(out.affinity, affinity, 0, 1e-7)) << out.affinity;
  // Aggregate (1a): R1 = s1 + s4 = 1.4519089,
  //   P_vox1 = ((1, 0) + s1 (2, 0) + s4 (3, 1)) / R1
  //          = (1 + 1.4621172 + 2.1625509, 0.7208503) / 1.4519089 = (3.1852330, 0.4964845);
  //   P_vox2 = ((0, 1) + s1 (0, 3)) / s1 = (0, 1 / s1 + 3) = (0, 4.3678794);
  //   P_vox3 = ((1, 1) + s1 (1, 1)) / s1 = (2.3678794, 2.3678794).
  const at::Tensor voxel_prototypes =
      at::tensor({3.1852330, 0.4964845, 0.0, 4.3678794, 2.3678794, 2.3678794}, at::kDouble).view({1, 3, 2});
  EXPECT_TRUE(at::allclose(out.voxel_prototypes, voxel_prototypes, 0, 1e-6)) << out.voxel_prototypes;
  // Dispatch (1b), identity MLP: Q^_k = Q_k + sigma_k P_vox(best k):
  //   Q^1 = (2, 0) + s1 (3.1852330, 0.4964845) = (4.3285919, 0.3629593)
  //   Q^2 = (0, 3) + s1 (0, 4.3678794)         = (0, 6.1931757)
  //   Q^3 = (1, 1) + s1 (2.3678794, 2.3678794) = (2.7310586, 2.7310586)
  //   Q^4 = (3, 1) + s4 (3.1852330, 0.4964845) = (5.2960762, 1.3578910)
  const at::Tensor queries =
      at::tensor({4.3285919, 0.3629593, 0.0, 6.1931757, 2.7310586, 2.7310586, 5.2960762, 1.3578910},
                 at::kDouble)
          .view({1, 4, 2});
  EXPECT_TRUE(at::allclose(out.queries, queries, 0, 1e-6)) << out.queries;
}

// Context Clusters' own form on the same case: R = 1 + sum sigma (the
// prototype counts once), everything else as above.
TEST(PrototypeMapping, ContextClustersAggregateByHand) {
  const HandCase c;
  PrototypeMapping module = hand_module(true, true, true, false);  // alpha 1, beta 0: sigmoid(cos)
  const PrototypeMappingOutput out = module->forward(c.prototypes, c.queries, c.valid);
  // P_vox1 = (4.6246681, 0.7208503) / 2.4519089 = (1.8861501, 0.2939956);
  // P_vox2 = (0, 1 + 3 s1) / (1 + s1) = (0, 1.8446376); P_vox3 = (1, 1).
  const at::Tensor voxel_prototypes =
      at::tensor({1.8861501, 0.2939956, 0.0, 1.8446376, 1.0, 1.0}, at::kDouble).view({1, 3, 2});
  EXPECT_TRUE(at::allclose(out.voxel_prototypes, voxel_prototypes, 0, 1e-6)) << out.voxel_prototypes;
  // Q^4 = (3, 1) + s4 (1.8861501, 0.2939956) = (4.3596318, 1.2119268).
  EXPECT_NEAR(out.queries[0][3][0].item<double>(), 4.3596318, 1e-6);
  EXPECT_NEAR(out.queries[0][3][1].item<double>(), 1.2119268, 1e-6);
}

// The paper's R = sum sigma(A) for a prototype no query joined: it divides
// by 1 (not 0) and keeps its projection; no query receives it.
TEST(PrototypeMapping, PaperAggregateOfAnEmptyPrototypeKeepsItsProjection) {
  const HandCase c;
  PrototypeMapping module = hand_module(false, true, false, false);
  // Only Q1 and Q4 (both nearest P1) are hits: P2 and P3 are empty.
  const at::Tensor valid = at::tensor({1, 0, 0, 1}, at::kByte).view({1, 4}).to(at::kBool);
  const PrototypeMappingOutput out = module->forward(c.prototypes, c.queries, valid);
  EXPECT_TRUE(at::allclose(out.voxel_prototypes.slice(1, 1, 3), c.prototypes.slice(1, 1, 3)));
  EXPECT_TRUE(at::equal(out.queries.slice(1, 1, 3), c.queries.slice(1, 1, 3)));
  EXPECT_NEAR(out.voxel_prototypes[0][0][0].item<double>(), 3.1852330, 1e-6);
}

TEST(PrototypeMapping, PaddingColumnsHaveZeroAffinityAndChangeNothing) {
  at::manual_seed(12);
  PrototypeMappingOptions options;
  options.embed_dims = kDims;
  options.hidden_dims = kHidden;
  PrototypeMapping module(options);
  const at::Tensor prototypes = at::randn({1, kPrototypes, kDims});
  const at::Tensor queries = at::randn({1, 2, kDims});
  const at::Tensor valid = at::ones({1, 2}, at::kBool);
  // The same two queries followed by three padding rows holding garbage.
  const at::Tensor padded_queries = at::cat({queries, 100 * at::randn({1, 3, kDims})}, 1);
  const at::Tensor padded_valid = at::cat({valid, at::zeros({1, 3}, at::kBool)}, 1);
  const PrototypeMappingOutput plain = module->forward(prototypes, queries, valid);
  const PrototypeMappingOutput padded = module->forward(prototypes, padded_queries, padded_valid);
  EXPECT_TRUE(at::equal(padded.affinity.slice(2, 2, 5), at::zeros({1, kPrototypes, 3})));
  EXPECT_TRUE(at::allclose(padded.affinity.slice(2, 0, 2), plain.affinity));
  EXPECT_TRUE(at::allclose(padded.voxel_prototypes, plain.voxel_prototypes));
  EXPECT_TRUE(at::allclose(padded.queries.slice(1, 0, 2), plain.queries));
  EXPECT_TRUE(at::equal(padded.queries.slice(1, 2, 5), padded_queries.slice(1, 2, 5)));
}

TEST(PrototypeMapping, ACameraWithoutHitsKeepsItsPrototypes) {
  PrototypeMappingOptions options;
  options.embed_dims = kDims;
  options.hidden_dims = kHidden;
  PrototypeMapping module(options);
  const at::Tensor prototypes = at::randn({1, kPrototypes, kDims});
  const PrototypeMappingOutput out =
      module->forward(prototypes, at::zeros({1, 1, kDims}), at::zeros({1, 1}, at::kBool));
  const at::Tensor projected =
      module->projection_out->forward(at::relu(module->projection_in->forward(prototypes)));
  EXPECT_TRUE(at::allclose(out.voxel_prototypes, projected));  // R = 1 + 0
  EXPECT_TRUE(at::isfinite(out.queries).all().item<bool>());
}

TEST(PrototypeMapping, GradientsReachEveryParameterAndTheInputs) {
  at::manual_seed(13);
  PrototypeMappingOptions options;
  options.embed_dims = kDims;
  options.hidden_dims = kHidden;
  PrototypeMapping module(options);
  const at::Tensor prototypes = at::randn({kImages, kPrototypes, kDims}).requires_grad_(true);
  const at::Tensor queries = at::randn({kImages, kQueries, kDims}).requires_grad_(true);
  const PrototypeMappingOutput out = module->forward(prototypes, queries, two_rows_valid());
  (out.queries.pow(2).sum() + out.voxel_prototypes.sum()).backward();
  for (const auto& parameter : module->named_parameters()) {
    ASSERT_TRUE(parameter.value().grad().defined()) << parameter.key();
    EXPECT_GT(parameter.value().grad().abs().sum().item<float>(), 0) << parameter.key();
  }
  EXPECT_GT(prototypes.grad().abs().sum().item<float>(), 0);
  EXPECT_GT(queries.grad().abs().sum().item<float>(), 0);
}

TEST(PrototypeMapping, RejectsMismatchedShapes) {
  PrototypeMappingOptions options;
  options.embed_dims = kDims;
  PrototypeMapping module(options);
  EXPECT_THROW(
      module->forward(at::zeros({1, 3, kDims}), at::zeros({2, 4, kDims}), at::ones({2, 4}, at::kBool)),
      UsageError);
  EXPECT_THROW(module->forward(at::zeros({1, 3, kDims}), at::zeros({1, 4, kDims}), at::ones({1, 4})),
               UsageError);
  options.hidden_dims = 0;
  EXPECT_THROW(PrototypeMapping{options}, UsageError);
}

long peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

// ProtoOcc-Small sizes: 6 cameras, stride-8 features 56x100 of d = 256,
// r = 4 (M = 350), ~8000 hit queries per camera. Run by hand:
// --gtest_also_run_disabled_tests --gtest_filter='*SmallSizes*'.
TEST(PrototypeMapping, DISABLED_SmallSizesTimeAndMemory) {
  at::manual_seed(14);
  const int64_t images = 6, dims = 256, length = 8000;
  const at::Tensor features = at::randn({images, dims, 56, 100}).requires_grad_(true);
  const at::Tensor queries = at::randn({images, length, dims}).requires_grad_(true);
  const at::Tensor valid = at::ones({images, length}, at::kBool);
  PrototypeMapping module;
  const auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  const long before = peak_rss_mib();
  const auto t0 = std::chrono::steady_clock::now();
  const PrototypeGrouping grouping = group_prototypes(features, PrototypeGroupingOptions{});
  const auto t1 = std::chrono::steady_clock::now();
  const PrototypeMappingOutput out = module->forward(grouping.prototypes, queries, valid);
  const auto t2 = std::chrono::steady_clock::now();
  (out.queries.sum() + out.voxel_prototypes.sum()).backward();
  const auto t3 = std::chrono::steady_clock::now();
  std::printf(
      "grouping (M = %ld) %.0f ms; mapping %.0f ms; backward of both %.0f ms; peak RSS %ld -> %ld MiB\n",
      static_cast<long>(grouping.prototypes.size(1)), ms(t0, t1), ms(t1, t2), ms(t2, t3), before,
      peak_rss_mib());
  EXPECT_EQ(grouping.prototypes.size(1), 350);
  const auto t4 = std::chrono::steady_clock::now();
  group_prototypes(features, PrototypeGroupingOptions{}).prototypes.sum().backward();
  std::printf("grouping alone, forward + backward %.0f ms\n", ms(t4, std::chrono::steady_clock::now()));
}

}  // namespace
}  // namespace occ::models
