#include "train/adamw.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "core/error.h"

namespace occ::train {
namespace {

// Runs a Python snippet with the interop Python (OCC_PYTHON: Debian torch) and returns its stdout.
std::string run_python(const std::string& code) {
  const std::string command = std::string(OCC_PYTHON_EXECUTABLE) + " -c '" + code + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string output;
  std::array<char, 256> buffer{};
  while (pipe && fgets(buffer.data(), buffer.size(), pipe.get())) output += buffer.data();
  return output;
}

// Gradient of step t (1-based) for the parameter values: deterministic and
// varied in sign and size so the moments differ per element.
at::Tensor gradient_at(int t) {
  return at::tensor({0.1 * t, -0.2, 0.3 / t, 1.5 - 0.5 * t}, at::kDouble);
}

TEST(AdamW, MatchesTorchOptimAdamWOverSeveralSteps) {
  at::Tensor parameter = at::tensor({1.0, -2.0, 3.0, 0.5}, at::kDouble).requires_grad_(true);
  AdamW optimizer({{"w", parameter, 0.5, "all"}}, AdamWOptions{/*weight_decay=*/0.05, 0.9, 0.99, 1e-8});
  const double lrs[] = {0.1, 0.05, 0.2, 0.01};
  for (int t = 1; t <= 4; ++t) {
    parameter.mutable_grad() = gradient_at(t);
    optimizer.step(lrs[t - 1]);
  }
  // The same updates with torch.optim.AdamW (lr already times the 0.5 multiplier).
  const std::string output = run_python(
      "import torch\n"
      "p = torch.tensor([1.0, -2.0, 3.0, 0.5], dtype=torch.float64, requires_grad=True)\n"
      "o = torch.optim.AdamW([p], lr=0.1, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.05)\n"
      "for t, lr in zip(range(1, 5), [0.1, 0.05, 0.2, 0.01]):\n"
      "    o.param_groups[0][\"lr\"] = lr * 0.5\n"
      "    p.grad = torch.tensor([0.1 * t, -0.2, 0.3 / t, 1.5 - 0.5 * t], dtype=torch.float64)\n"
      "    o.step()\n"
      "print(\" \".join(repr(v) for v in p.tolist()))\n");
  std::istringstream values(output);
  for (int i = 0; i < 4; ++i) {
    double expected = 0;
    ASSERT_TRUE(values >> expected) << "python output: " << output;
    EXPECT_NEAR(parameter[i].item<double>(), expected, 1e-12) << "element " << i;
  }
  EXPECT_EQ(optimizer.steps(), 4);
}

TEST(AdamW, StateRoundTripContinuesIdentically) {
  auto make = [] { return at::tensor({0.3f, -0.7f}).requires_grad_(true); };
  at::Tensor a = make();
  at::Tensor b = make();
  AdamW first({{"w", a, 1.0, "all"}}, {});
  for (int t = 1; t <= 3; ++t) {
    a.mutable_grad() = gradient_at(t).slice(0, 0, 2).to(at::kFloat);
    first.step(0.01);
  }
  // A second optimiser restored from the first one's state and weights.
  {
    at::NoGradGuard no_grad;
    b.copy_(a);
  }
  AdamW second({{"w", b, 1.0, "all"}}, {});
  second.load_state(first.state(), "test");
  EXPECT_EQ(second.steps(), 3);
  for (int t = 4; t <= 5; ++t) {
    a.mutable_grad() = gradient_at(t).slice(0, 0, 2).to(at::kFloat);
    b.mutable_grad() = gradient_at(t).slice(0, 0, 2).to(at::kFloat);
    first.step(0.01);
    second.step(0.01);
  }
  EXPECT_TRUE(at::equal(a, b));
}

TEST(AdamW, LoadStateNamesMissingAndMisShapedEntries) {
  at::Tensor w = at::zeros({2, 3}).requires_grad_(true);
  AdamW optimizer({{"layer.weight", w, 1.0, "all"}}, {});
  auto state = optimizer.state();
  state[1].second = at::zeros({3, 2});
  try {
    optimizer.load_state(state, "'m.h5'");
    FAIL();
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("exp_avg/layer.weight"), std::string::npos) << error.what();
  }
  state.erase(state.begin() + 1);
  EXPECT_THROW(optimizer.load_state(state, "'m.h5'"), FormatError);
}

TEST(AdamW, ClipGradientNormScalesToTheLimit) {
  at::Tensor a = at::zeros({2}).requires_grad_(true);
  at::Tensor b = at::zeros({1}).requires_grad_(true);
  a.mutable_grad() = at::tensor({3.0f, 0.0f});
  b.mutable_grad() = at::tensor({4.0f});
  const std::vector<NamedParameter> parameters{{"a", a, 1.0, "all"}, {"b", b, 1.0, "all"}};
  EXPECT_NEAR(clip_gradient_norm(parameters, 10.0), 5.0, 1e-6);
  EXPECT_FLOAT_EQ(a.grad()[0].item<float>(), 3.0f) << "below the limit nothing changes";
  EXPECT_NEAR(clip_gradient_norm(parameters, 1.0), 5.0, 1e-6);
  EXPECT_NEAR(a.grad()[0].item<float>(), 0.6f, 1e-5);
  EXPECT_NEAR(b.grad()[0].item<float>(), 0.8f, 1e-5);
}

}  // namespace
}  // namespace occ::train
