// Lovasz-softmax: hand-computed cases, 'present' classes, the ignore index and
// the mask, batch flattening, gradients, and parity with a per-class Python
// port of the paper's formula (tests/losses/lovasz_reference.py).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include <vector>

#include "core/error.h"
#include "losses/occupancy_losses.h"
#include "nn/state_dict.h"
#include "support/run.h"
#include "support/temp_dir.h"

namespace occ::losses {
namespace {

// Class ids as an int64 tensor (a braced list of ints is ambiguous for at::tensor).
at::Tensor class_ids(std::vector<int64_t> ids) {
  return at::tensor(ids);
}

// Three voxels with labels [0, 0, 1]; rows are classes.
//   class 0: p = [0.9, 0.4, 0.2], fg = [1, 1, 0], errors [0.1, 0.6, 0.2]
//     sorted 0.6, 0.2, 0.1 with fg [1, 0, 1], gts 2: intersection [1, 1, 0],
//     union [2, 3, 3], jaccard [1/2, 2/3, 1], grad [1/2, 1/6, 1/3]
//     -> 0.6/2 + 0.2/6 + 0.1/3 = 11/30
//   class 1: p = [0.1, 0.6, 0.8], fg = [0, 0, 1], errors [0.1, 0.6, 0.2]
//     sorted 0.6, 0.2, 0.1 with fg [0, 1, 0], gts 1: intersection [1, 0, 0],
//     union [2, 2, 3], jaccard [1/2, 1, 1], grad [1/2, 1/2, 0] -> 0.4
//   mean (11/30 + 12/30) / 2 = 23/60
constexpr double kThreeVoxelLoss = 23.0 / 60.0;

at::Tensor three_voxel_probabilities() {
  return at::tensor({0.9, 0.4, 0.2, 0.1, 0.6, 0.8}, at::kDouble).reshape({1, 2, 3});
}
at::Tensor three_voxel_target() {
  return class_ids({0, 0, 1}).reshape({1, 3});
}

TEST(LovaszSoftmax, HandComputedThreeVoxels) {
  const auto probabilities = three_voxel_probabilities().requires_grad_(true);
  const auto loss = lovasz_softmax(probabilities, three_voxel_target(), /*ignore_index=*/-1);
  EXPECT_EQ(loss.dim(), 0);
  EXPECT_NEAR(loss.item<double>(), kThreeVoxelLoss, 1e-12);

  // d loss / d p[c, i] = -sign(fg - p) * grad at the voxel's sorted place / 2.
  loss.backward();
  const auto expected =
      at::tensor({-1.0 / 3, -1.0 / 2, 1.0 / 6, 0.0, 1.0 / 2, -1.0 / 2}, at::kDouble).reshape({1, 2, 3}) / 2.0;
  EXPECT_TRUE(at::allclose(probabilities.grad(), expected, 1e-12, 1e-12)) << probabilities.grad();
}

TEST(LovaszSoftmax, PerfectPredictionGivesZero) {
  const auto target = class_ids({2, 0, 1, 1, 2, 0}).reshape({2, 3});
  const auto one_hot = at::one_hot(target, 3).movedim(-1, 1).to(at::kFloat);
  EXPECT_EQ(lovasz_softmax(one_hot, target, /*ignore_index=*/-1).item<float>(), 0.0f);
}

TEST(LovaszSoftmax, OnlyPresentClassesCount) {
  // A third class nobody belongs to, with probability mass everywhere: the
  // loss stays the mean over classes 0 and 1.
  const auto probabilities = at::cat({three_voxel_probabilities(), at::full({1, 1, 3}, 0.7, at::kDouble)}, 1);
  EXPECT_NEAR(lovasz_softmax(probabilities, three_voxel_target(), -1).item<double>(), kThreeVoxelLoss, 1e-12);
}

TEST(LovaszSoftmax, IgnoreIndexAndMaskLeaveVoxelsOut) {
  // A fourth voxel of class 2 with a bad prediction.
  auto probabilities = at::cat({three_voxel_probabilities(), at::zeros({1, 1, 3}, at::kDouble)}, 1);
  probabilities = at::cat({probabilities, at::tensor({0.5, 0.5, 0.0}, at::kDouble).reshape({1, 3, 1})}, 2);
  const auto target = class_ids({0, 0, 1, 2}).reshape({1, 4});

  EXPECT_NEAR(lovasz_softmax(probabilities, target, /*ignore_index=*/2).item<double>(), kThreeVoxelLoss,
              1e-12);
  const auto hide_last = at::tensor({1.0f, 1.0f, 1.0f, 0.0f}).reshape({1, 4});
  EXPECT_NEAR(lovasz_softmax(probabilities, target, -1, hide_last).item<double>(), kThreeVoxelLoss, 1e-12);
  // Counted, class 2 is present and wrong: the loss grows.
  EXPECT_GT(lovasz_softmax(probabilities, target, -1).item<double>(), kThreeVoxelLoss + 0.1);
}

TEST(LovaszSoftmax, NothingLeftGivesZeroWithGraph) {
  const auto probabilities = three_voxel_probabilities().requires_grad_(true);
  const auto loss = lovasz_softmax(probabilities, three_voxel_target(), -1, at::zeros({1, 3}));
  EXPECT_EQ(loss.item<double>(), 0.0);
  ASSERT_TRUE(loss.requires_grad());
  loss.backward();
  EXPECT_EQ(probabilities.grad().abs().sum().item<double>(), 0.0);
}

TEST(LovaszSoftmax, BatchIsFlattenedTogether) {
  // per_image=False: two samples of three voxels give the loss of one sample of six.
  at::manual_seed(5);
  const auto probabilities = at::randn({1, 4, 6}, at::kDouble).softmax(1);
  const auto target = at::randint(0, 4, {1, 6}, at::kLong);
  const auto split_probabilities = probabilities.reshape({4, 2, 3}).transpose(0, 1);
  const auto split_target = target.reshape({2, 3});
  EXPECT_NEAR(lovasz_softmax(split_probabilities, split_target, -1).item<double>(),
              lovasz_softmax(probabilities, target, -1).item<double>(), 1e-12);
}

TEST(LovaszSoftmax, GradientReachesLogitsAndIsFinite) {
  at::manual_seed(6);
  const auto logits = at::randn({2, 18, 6, 6, 2}).requires_grad_(true);
  const auto target = at::randint(0, 18, {2, 6, 6, 2}, at::kLong);
  const auto loss = lovasz_softmax(logits.softmax(1), target, /*ignore_index=*/17);
  EXPECT_TRUE(std::isfinite(loss.item<float>()));
  loss.backward();
  ASSERT_TRUE(logits.grad().defined());
  EXPECT_TRUE(logits.grad().isfinite().all().item<bool>());
  EXPECT_GT(logits.grad().abs().sum().item<float>(), 0.0f);
}

TEST(LovaszSoftmax, RejectsMismatchedArguments) {
  const auto probabilities = at::rand({1, 3, 4});
  EXPECT_THROW(lovasz_softmax(probabilities, at::zeros({1, 5}, at::kLong), -1), UsageError);
  EXPECT_THROW(lovasz_softmax(probabilities, at::zeros({1, 4}, at::kLong), -1, at::ones({4})), UsageError);
  EXPECT_THROW(lovasz_softmax(probabilities, at::full({1, 4}, 7, at::kLong), -1), UsageError);
  // An out-of-range id is fine when it is the ignore index (e.g. 255).
  EXPECT_EQ(lovasz_softmax(probabilities, at::full({1, 4}, 255, at::kLong), 255).item<float>(), 0.0f);
}

TEST(LovaszSoftmax, MatchesPerClassPythonReference) {
  test::TempDir dir;
  const auto generated = test::run({OCC_PYTHON_EXECUTABLE, OCC_SOURCE_DIR "/tests/losses/lovasz_reference.py",
                                    "--out", dir.path().string()});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  std::map<std::string, at::Tensor> entries;
  for (auto& [name, tensor] : nn::read_state_dict(dir.file("lovasz_reference.pt"))) entries[name] = tensor;

  for (const std::string name : {"occ3d", "sparse", "float32"}) {
    SCOPED_TRACE(name);
    const auto probabilities = entries.at(name + ".probabilities").clone().requires_grad_(true);
    const bool single = probabilities.scalar_type() == at::kFloat;
    const double tolerance = single ? 1e-5 : 1e-12;
    const auto loss =
        lovasz_softmax(probabilities, entries.at(name + ".target"),
                       entries.at(name + ".ignore_index").item<int64_t>(), entries.at(name + ".mask"));
    EXPECT_NEAR(loss.item<double>(), entries.at(name + ".loss").item<double>(), tolerance);
    loss.backward();
    EXPECT_TRUE(at::allclose(probabilities.grad(), entries.at(name + ".grad"), tolerance, tolerance));
  }
}

// Occ3D size: 200 x 200 x 16 = 640k voxels, 18 classes, the free class
// ignored. Run by hand: --gtest_also_run_disabled_tests.
TEST(LovaszSoftmax, DISABLED_TimingOcc3dGrid) {
  at::manual_seed(7);
  const auto logits = at::randn({1, 18, 200, 200, 16}).requires_grad_(true);
  const auto target = at::randint(0, 18, {1, 200, 200, 16}, at::kLong);
  const auto mask = at::rand({1, 200, 200, 16}).gt(0.2).to(at::kFloat);
  for (int run = 0; run < 3; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const auto loss = lovasz_softmax(logits.softmax(1), target, /*ignore_index=*/17, mask);
    const auto forward_done = std::chrono::steady_clock::now();
    loss.backward();
    const auto end = std::chrono::steady_clock::now();
    std::printf("lovasz 640k x 18: forward %.3f s, backward %.3f s\n",
                std::chrono::duration<double>(forward_done - start).count(),
                std::chrono::duration<double>(end - forward_done).count());
  }
}

}  // namespace
}  // namespace occ::losses
