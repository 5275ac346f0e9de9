// Multi-scale deformable attention: the fused CPU kernel against the
// grid_sample reference (outputs and all gradients), finite differences in
// double, and the Deformable-DETR module's initialisation and outputs.
#include "nn/deformable_attention.h"

#include <gtest/gtest.h>
#include <torch/autograd.h>

#include <utility>
#include <vector>

namespace occ::nn {
namespace {

using Shapes = std::vector<std::pair<int64_t, int64_t>>;

struct Problem {
  LevelLayout layout;
  at::Tensor value;      // [B, S, heads, D]
  at::Tensor locations;  // [B, Q, heads, levels, points, 2]
  at::Tensor weights;    // [B, Q, heads, levels, points]
};

// Random inputs; locations span [-0.2, 1.2] so that many points sit near or
// beyond the level borders, where zero padding and partial corners matter.
Problem random_problem(const Shapes& shapes, int64_t batch, int64_t queries, int64_t heads, int64_t head_dims,
                       int64_t points, at::ScalarType dtype, uint64_t seed) {
  at::manual_seed(seed);
  Problem problem;
  problem.layout = make_level_layout(shapes);
  int64_t positions = 0;
  for (const auto& [height, width] : shapes) positions += height * width;
  const auto levels = static_cast<int64_t>(shapes.size());
  const auto options = at::TensorOptions().dtype(dtype);
  problem.value = at::randn({batch, positions, heads, head_dims}, options);
  problem.locations = at::rand({batch, queries, heads, levels, points, 2}, options) * 1.4 - 0.2;
  problem.weights = at::rand({batch, queries, heads, levels, points}, options);
  return problem;
}

at::Tensor run(bool fused, const Problem& problem, const at::Tensor& value, const at::Tensor& locations,
               const at::Tensor& weights) {
  const auto& layout = problem.layout;
  return fused ? msda_fused(value, layout.spatial_shapes, layout.level_start_index, locations, weights)
               : msda_reference(value, layout.spatial_shapes, layout.level_start_index, locations, weights);
}

struct Gradients {
  at::Tensor output, value, locations, weights;
};

// Output and the gradients of sum(output * grad_output) for one implementation.
Gradients gradients(bool fused, const Problem& problem, const at::Tensor& grad_output_seed) {
  const at::Tensor value = problem.value.clone().requires_grad_(true);
  const at::Tensor locations = problem.locations.clone().requires_grad_(true);
  const at::Tensor weights = problem.weights.clone().requires_grad_(true);
  const at::Tensor output = run(fused, problem, value, locations, weights);
  const auto grads = torch::autograd::grad({output}, {value, locations, weights},
                                           {grad_output_seed.to(output.scalar_type())});
  return {output.detach(), grads[0], grads[1], grads[2]};
}

void expect_close(const at::Tensor& actual, const at::Tensor& expected, double rtol, double atol,
                  const char* what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const double max_error = (actual - expected).abs().max().item<double>();
  const double scale = expected.abs().max().item<double>();
  EXPECT_TRUE(at::allclose(actual, expected, rtol, atol))
      << what << ": max abs error " << max_error << " (largest magnitude " << scale << ")";
}

TEST(DeformableAttention, LevelLayoutStacksLevelsInOrder) {
  const LevelLayout layout = make_level_layout({{3, 5}, {2, 2}, {1, 7}});
  EXPECT_TRUE(
      at::equal(layout.spatial_shapes, at::tensor(std::vector<int64_t>{3, 5, 2, 2, 1, 7}).view({3, 2})));
  EXPECT_TRUE(at::equal(layout.level_start_index, at::tensor(std::vector<int64_t>{0, 15, 19})));
  EXPECT_THROW(make_level_layout({}), DeformableAttentionError);
  EXPECT_THROW(make_level_layout({{0, 3}}), DeformableAttentionError);
}

TEST(DeformableAttention, FusedForwardMatchesReference) {
  struct Case {
    Shapes shapes;
    int64_t batch, queries, heads, head_dims, points;
  };
  const std::vector<Case> cases = {
      {{{6, 9}}, 1, 7, 1, 3, 1},
      {{{8, 12}, {4, 6}, {2, 3}}, 2, 33, 4, 8, 4},
      {{{9, 16}, {5, 8}, {3, 4}, {2, 2}, {1, 1}}, 3, 20, 8, 4, 8},
      {{{1, 13}, {11, 1}}, 1, 15, 2, 5, 3},
  };
  uint64_t seed = 11;
  for (const Case& c : cases) {
    const Problem problem =
        random_problem(c.shapes, c.batch, c.queries, c.heads, c.head_dims, c.points, at::kFloat, ++seed);
    const at::Tensor reference = run(false, problem, problem.value, problem.locations, problem.weights);
    const at::Tensor fused = run(true, problem, problem.value, problem.locations, problem.weights);
    ASSERT_EQ(fused.sizes(), (std::vector<int64_t>{c.batch, c.queries, c.heads * c.head_dims}));
    expect_close(fused, reference, 1e-5, 1e-5, "output");
    // Locations outside every level must give exactly zero.
    const at::Tensor outside = at::full_like(problem.locations, 1.5);
    EXPECT_EQ(run(true, problem, problem.value, outside, problem.weights).abs().max().item<float>(), 0.0f);
  }
}

TEST(DeformableAttention, FusedGradientsMatchReferenceInFloat) {
  const Problem problem = random_problem({{12, 20}, {6, 10}, {3, 5}, {2, 3}}, 2, 60, 4, 8, 4, at::kFloat, 5);
  const at::Tensor grad_output = at::randn({2, 60, 32});
  const Gradients reference = gradients(false, problem, grad_output);
  const Gradients fused = gradients(true, problem, grad_output);
  expect_close(fused.output, reference.output, 1e-5, 1e-5, "output");
  expect_close(fused.value, reference.value, 1e-4, 1e-4, "grad value");
  expect_close(fused.weights, reference.weights, 1e-4, 1e-4, "grad attention_weights");
  expect_close(fused.locations, reference.locations, 1e-3, 1e-3, "grad sampling_locations");
}

TEST(DeformableAttention, FusedGradientsMatchFiniteDifferencesAndReferenceInDouble) {
  const Problem problem = random_problem({{3, 4}, {2, 2}, {1, 3}}, 2, 3, 2, 2, 2, at::kDouble, 7);
  const at::Tensor grad_output = at::randn({2, 3, 4}, at::kDouble);
  const Gradients fused = gradients(true, problem, grad_output);
  const Gradients reference = gradients(false, problem, grad_output);
  expect_close(fused.value, reference.value, 1e-10, 1e-10, "grad value vs reference");
  expect_close(fused.locations, reference.locations, 1e-9, 1e-9, "grad locations vs reference");
  expect_close(fused.weights, reference.weights, 1e-10, 1e-10, "grad weights vs reference");

  // Central differences of L = sum(fused(...) * grad_output), one input
  // element at a time (the check torch.autograd.gradcheck performs).
  at::Tensor value = problem.value.clone();
  at::Tensor locations = problem.locations.clone();
  at::Tensor weights = problem.weights.clone();
  const auto loss = [&] {
    torch::NoGradGuard no_grad;
    return (run(true, problem, value, locations, weights) * grad_output).sum().item<double>();
  };
  const double step = 1e-6;
  const auto numeric_gradient = [&](at::Tensor& input) {
    at::Tensor numeric = at::zeros_like(input);
    double* data = input.data_ptr<double>();
    double* out = numeric.data_ptr<double>();
    for (int64_t i = 0; i < input.numel(); ++i) {
      const double saved = data[i];
      data[i] = saved + step;
      const double plus = loss();
      data[i] = saved - step;
      const double minus = loss();
      data[i] = saved;
      out[i] = (plus - minus) / (2 * step);
    }
    return numeric;
  };
  expect_close(fused.value, numeric_gradient(value), 1e-5, 1e-6, "grad value vs numeric");
  expect_close(fused.locations, numeric_gradient(locations), 1e-5, 1e-6, "grad locations vs numeric");
  expect_close(fused.weights, numeric_gradient(weights), 1e-5, 1e-6, "grad weights vs numeric");
}

TEST(DeformableAttention, MatchesPythonGridSampleFallback) {
  // Golden values from an independent Python statement of the mmcv /
  // Deformable-DETR fallback (torch 1.13 F.grid_sample, bilinear, zeros,
  // align_corners=False, per-level permutes written from the semantics), on
  // inputs defined by formulas so both sides build them exactly:
  //   value = sin(0.37 i), locations = frac(0.618 i) * 1.4 - 0.2,
  //   weights = cos(0.11 i)^2 over the flat index i.
  const LevelLayout layout = make_level_layout({{3, 4}, {2, 2}, {1, 3}});
  const auto index = [](int64_t count) { return at::arange(count, at::kDouble); };
  const at::Tensor value = (index(2 * 19 * 2 * 2) * 0.37).sin().view({2, 19, 2, 2});
  const at::Tensor scaled = index(2 * 3 * 2 * 3 * 2 * 2) * 0.618;
  const at::Tensor locations = ((scaled - scaled.floor()) * 1.4 - 0.2).view({2, 3, 2, 3, 2, 2});
  const at::Tensor weights = (index(2 * 3 * 2 * 3 * 2) * 0.11).cos().pow(2).view({2, 3, 2, 3, 2});
  const std::vector<double> golden = {
      -0.30874332011822514,  0.21040959258847194,   -0.2086299341127058,  -0.29204955069159083,
      -0.008848645831913603, -0.01382937528475341,  0.17157268713787624,  0.3213889501955384,
      0.8567952987243674,    0.642619827901493,     0.41193010018534626,  0.6892073056641674,
      0.014497354537811343,  0.10970111734175143,   -0.04280076277599558, -0.048859532870721104,
      0.08234836737009327,   -0.042736585540525784, -0.22437849912903263, -0.09030418548979124,
      0.49783880580907874,   0.14977290601693813,   0.18607786379618296,  0.2537722428967054};
  const at::Tensor expected = at::tensor(golden, at::kDouble).view({2, 3, 4});
  expect_close(msda_reference(value, layout.spatial_shapes, layout.level_start_index, locations, weights),
               expected, 1e-12, 1e-12, "reference vs python");
  expect_close(msda_fused(value, layout.spatial_shapes, layout.level_start_index, locations, weights),
               expected, 1e-12, 1e-12, "fused vs python");
}

TEST(DeformableAttention, FusedRefusesDoubleBackward) {
  Problem problem = random_problem({{4, 4}}, 1, 3, 2, 2, 2, at::kDouble, 8);
  problem.value.requires_grad_(true);
  const at::Tensor output = run(true, problem, problem.value, problem.locations, problem.weights);
  EXPECT_THROW(torch::autograd::grad({output.sum()}, {problem.value}, {}, true, true),
               DeformableAttentionError);
}

TEST(DeformableAttention, RejectsInconsistentInputs) {
  const Problem problem = random_problem({{4, 4}, {2, 2}}, 1, 5, 2, 3, 2, at::kFloat, 3);
  const auto& layout = problem.layout;
  for (const bool fused : {false, true}) {
    const auto call = [&](const at::Tensor& value, const at::Tensor& shapes, const at::Tensor& starts,
                          const at::Tensor& locations, const at::Tensor& weights) {
      return fused ? msda_fused(value, shapes, starts, locations, weights)
                   : msda_reference(value, shapes, starts, locations, weights);
    };
    // value holds one position too many for the levels.
    EXPECT_THROW(call(at::randn({1, 21, 2, 3}), layout.spatial_shapes, layout.level_start_index,
                      problem.locations, problem.weights),
                 DeformableAttentionError);
    // Level count of locations differs from spatial_shapes.
    EXPECT_THROW(call(problem.value, layout.spatial_shapes, layout.level_start_index,
                      problem.locations.narrow(3, 0, 1), problem.weights),
                 DeformableAttentionError);
    // Weights with another point count.
    EXPECT_THROW(call(problem.value, layout.spatial_shapes, layout.level_start_index, problem.locations,
                      problem.weights.narrow(4, 0, 1)),
                 DeformableAttentionError);
    // Start index that does not follow the shapes.
    EXPECT_THROW(call(problem.value, layout.spatial_shapes, at::tensor(std::vector<int64_t>{0, 15}),
                      problem.locations, problem.weights),
                 DeformableAttentionError);
    // Mixed dtypes.
    EXPECT_THROW(call(problem.value.to(at::kDouble), layout.spatial_shapes, layout.level_start_index,
                      problem.locations, problem.weights),
                 DeformableAttentionError);
  }
}

// A value tensor with per-level layout for the module tests.
struct ModuleInputs {
  LevelLayout layout;
  at::Tensor query, reference_points, value;
};

ModuleInputs module_inputs(const Shapes& shapes, int64_t batch, int64_t queries, int64_t dims) {
  ModuleInputs inputs;
  inputs.layout = make_level_layout(shapes);
  int64_t positions = 0;
  for (const auto& [height, width] : shapes) positions += height * width;
  inputs.query = at::randn({batch, queries, dims});
  inputs.reference_points = at::rand({batch, queries, 2});
  inputs.value = at::randn({batch, positions, dims});
  return inputs;
}

TEST(DeformableAttention, ModuleReturnsWhatTheKernelUsed) {
  at::manual_seed(21);
  for (const int64_t levels : {1, 3, 6}) {
    Shapes shapes;
    for (int64_t level = 0; level < levels; ++level) shapes.push_back({10 - level, 12 - level});
    MultiScaleDeformableAttentionOptions options;
    options.embed_dims = 32;
    options.num_heads = 4;
    options.num_levels = levels;
    options.num_points = 3;
    MultiScaleDeformableAttention attention(options);
    // Random offsets and attention so the check is not about the init.
    {
      torch::NoGradGuard no_grad;
      attention->sampling_offsets->weight.normal_(0, 0.3);
      attention->attention_weights->weight.normal_(0, 0.3);
    }
    const ModuleInputs in = module_inputs(shapes, 2, 9, 32);
    const auto out = attention(in.query, in.reference_points, in.value, in.layout.spatial_shapes,
                               in.layout.level_start_index);
    EXPECT_EQ(out.output.sizes(), (std::vector<int64_t>{2, 9, 32}));
    EXPECT_EQ(out.sampling_locations.sizes(), (std::vector<int64_t>{2, 9, 4, levels, 3, 2}));
    EXPECT_EQ(out.attention_weights.sizes(), (std::vector<int64_t>{2, 9, 4, levels, 3}));
    // Softmax over levels x points.
    expect_close(out.attention_weights.flatten(3).sum(-1), at::ones({2, 9, 4}), 1e-5, 1e-5, "attention sums");
    // Recomputing through the reference with the returned tensors gives the
    // module's output: these are exactly the locations and weights it used.
    const at::Tensor projected = attention->value_proj(in.value).view({2, -1, 4, 8});
    const at::Tensor recomputed = attention->output_proj(
        msda_reference(projected, in.layout.spatial_shapes, in.layout.level_start_index,
                       out.sampling_locations, out.attention_weights));
    expect_close(out.output, recomputed, 1e-5, 1e-5, "module output");
    // Gradients reach every parameter.
    out.output.sum().backward();
    for (const auto& parameter : attention->named_parameters())
      EXPECT_GT(parameter.value().grad().abs().sum().item<double>(), 0) << parameter.key();
  }
}

TEST(DeformableAttention, InitialisationPlacesPointsOnARingWithUniformWeights) {
  at::manual_seed(4);
  MultiScaleDeformableAttentionOptions options;
  options.embed_dims = 16;
  options.num_heads = 4;
  options.num_levels = 2;
  options.num_points = 3;
  MultiScaleDeformableAttention attention(options);
  const Shapes shapes = {{8, 10}, {4, 5}};
  const ModuleInputs in = module_inputs(shapes, 1, 5, 16);
  const auto out = attention(in.query, in.reference_points, in.value, in.layout.spatial_shapes,
                             in.layout.level_start_index);
  expect_close(out.attention_weights, at::full({1, 5, 4, 2, 3}, 1.0 / 6.0), 1e-6, 1e-7,
               "initial attention weights");
  // Head directions: 0, 90, 180, 270 degrees -> (1,0), (0,1), (-1,0), (0,-1)
  // (cos/sin scaled by their larger magnitude); point i sits i+1 pixels out.
  const double directions[4][2] = {{1, 0}, {0, 1}, {-1, 0}, {0, -1}};
  const at::Tensor offsets = out.sampling_locations - in.reference_points.view({1, 5, 1, 1, 1, 2});
  for (int64_t head = 0; head < 4; ++head)
    for (int64_t level = 0; level < 2; ++level)
      for (int64_t point = 0; point < 3; ++point) {
        const double width = static_cast<double>(shapes[static_cast<size_t>(level)].second);
        const double height = static_cast<double>(shapes[static_cast<size_t>(level)].first);
        const at::Tensor expected =
            at::tensor({directions[head][0] * static_cast<double>(point + 1) / width,
                        directions[head][1] * static_cast<double>(point + 1) / height},
                       at::kFloat);
        const at::Tensor actual = offsets.select(2, head).select(2, level).select(2, point);
        expect_close(actual, expected.expand_as(actual), 1e-5, 1e-6, "initial offset");
      }

  // Anchored reference points, BEVFormer-style: point p is offset from anchor
  // p % anchors, shared by all levels ([B, Q, 1, anchors, 2]).
  MultiScaleDeformableAttentionOptions anchored_options = options;
  anchored_options.num_points = 4;
  MultiScaleDeformableAttention anchored(anchored_options);
  const at::Tensor anchors = at::rand({1, 5, 1, 2, 2});
  const auto anchored_out =
      anchored(in.query, anchors, in.value, in.layout.spatial_shapes, in.layout.level_start_index);
  for (int64_t level = 0; level < 2; ++level)
    for (int64_t point = 0; point < 4; ++point) {
      const double width = static_cast<double>(shapes[static_cast<size_t>(level)].second);
      // Head 0 points along +x: point p sits p+1 pixels right of its anchor.
      const at::Tensor expected = anchors.select(2, 0).select(2, point % 2) +
                                  at::tensor({static_cast<double>(point + 1) / width, 0.0}, at::kFloat);
      const at::Tensor actual =
          anchored_out.sampling_locations.select(2, 0).select(2, level).select(2, point);
      expect_close(actual, expected, 1e-5, 1e-6, "anchored location");
    }
  // Per-level anchors are accepted too; anchors must divide the points.
  EXPECT_NO_THROW(anchored(in.query, at::rand({1, 5, 2, 4, 2}), in.value, in.layout.spatial_shapes,
                           in.layout.level_start_index));
  EXPECT_THROW(anchored(in.query, at::rand({1, 5, 1, 3, 2}), in.value, in.layout.spatial_shapes,
                        in.layout.level_start_index),
               DeformableAttentionError);
}

TEST(DeformableAttention, ZeroAttentionInitAveragesTheValueProjectionBias) {
  // With uniform attention and a value projection that is only a bias, every
  // sample inside the levels reads the bias, so the attended vector of each
  // query is the bias itself (then the identity output projection).
  at::manual_seed(9);
  MultiScaleDeformableAttentionOptions options;
  options.embed_dims = 8;
  options.num_heads = 2;
  options.num_levels = 2;
  options.num_points = 2;
  const at::Tensor bias = at::randn({8});
  const Shapes shapes = {{16, 16}, {12, 12}};
  ModuleInputs in = module_inputs(shapes, 2, 6, 8);
  // Reference points in the middle: the init ring (at most 2 pixels) stays inside.
  in.reference_points = at::rand({2, 6, 2}) * 0.4 + 0.3;
  for (const bool fused : {true, false}) {
    MultiScaleDeformableAttentionOptions path = options;
    path.use_fused_kernel = fused;
    MultiScaleDeformableAttention module(path);
    {
      torch::NoGradGuard no_grad;
      module->value_proj->weight.zero_();
      module->value_proj->bias.copy_(bias);
      module->output_proj->weight.copy_(at::eye(8));
      module->output_proj->bias.zero_();
    }
    const auto out = module(in.query, in.reference_points, in.value, in.layout.spatial_shapes,
                            in.layout.level_start_index);
    expect_close(out.output, bias.expand({2, 6, 8}), 1e-5, 1e-6, "bias pattern");
    // Near a corner, part of the samples fall outside and add zero: less than the bias.
    const at::Tensor corner_points = at::zeros({2, 6, 2});
    const auto corner =
        module(in.query, corner_points, in.value, in.layout.spatial_shapes, in.layout.level_start_index);
    EXPECT_LT(corner.output.abs().sum().item<double>(), bias.abs().sum().item<double>() * 12 * 0.9);
  }
}

TEST(DeformableAttention, PaddingMaskZeroesMaskedValues) {
  at::manual_seed(13);
  MultiScaleDeformableAttentionOptions options;
  options.embed_dims = 8;
  options.num_heads = 2;
  options.num_levels = 2;
  options.num_points = 2;
  MultiScaleDeformableAttention attention(options);
  {
    torch::NoGradGuard no_grad;
    attention->value_proj->bias.normal_();  // masked rows must lose the bias too
  }
  const ModuleInputs in = module_inputs({{4, 4}, {2, 2}}, 2, 3, 8);
  // Masking everything leaves only the output projection's (zero) bias.
  const auto all_masked = attention(in.query, in.reference_points, in.value, in.layout.spatial_shapes,
                                    in.layout.level_start_index, at::ones({2, 20}, at::kBool));
  EXPECT_EQ(all_masked.output.abs().max().item<float>(), 0.0f);
  // Masking the second level equals feeding zero projected values there:
  // the same as value rows whose projection is zero, checked via the reference.
  at::Tensor mask = at::zeros({2, 20}, at::kBool);
  mask.narrow(1, 16, 4).fill_(true);
  const auto masked = attention(in.query, in.reference_points, in.value, in.layout.spatial_shapes,
                                in.layout.level_start_index, mask);
  at::Tensor projected = attention->value_proj(in.value);
  projected = projected.masked_fill(mask.unsqueeze(-1), 0.0).view({2, 20, 2, 4});
  const at::Tensor expected =
      attention->output_proj(msda_reference(projected, in.layout.spatial_shapes, in.layout.level_start_index,
                                            masked.sampling_locations, masked.attention_weights));
  expect_close(masked.output, expected, 1e-5, 1e-6, "masked output");
  const auto unmasked = attention(in.query, in.reference_points, in.value, in.layout.spatial_shapes,
                                  in.layout.level_start_index);
  EXPECT_FALSE(at::allclose(unmasked.output, masked.output));
  EXPECT_THROW(attention(in.query, in.reference_points, in.value, in.layout.spatial_shapes,
                         in.layout.level_start_index, at::ones({2, 19}, at::kBool)),
               DeformableAttentionError);
}

TEST(DeformableAttention, ModuleRejectsMismatchedLevelsAndReferencePoints) {
  MultiScaleDeformableAttentionOptions options;
  options.embed_dims = 8;
  options.num_heads = 2;
  options.num_levels = 2;
  options.num_points = 1;
  MultiScaleDeformableAttention attention(options);
  const ModuleInputs three_levels = module_inputs({{4, 4}, {2, 2}, {1, 1}}, 1, 3, 8);
  EXPECT_THROW(attention(three_levels.query, three_levels.reference_points, three_levels.value,
                         three_levels.layout.spatial_shapes, three_levels.layout.level_start_index),
               DeformableAttentionError);
  const ModuleInputs in = module_inputs({{4, 4}, {2, 2}}, 1, 3, 8);
  EXPECT_THROW(attention(in.query, at::rand({1, 3, 3}), in.value, in.layout.spatial_shapes,
                         in.layout.level_start_index),
               DeformableAttentionError);
  EXPECT_THROW(MultiScaleDeformableAttention(MultiScaleDeformableAttentionOptions{10, 3, 1, 1}),
               DeformableAttentionError);
  // Per-level reference points are accepted.
  const auto out = attention(in.query, at::rand({1, 3, 2, 2}), in.value, in.layout.spatial_shapes,
                             in.layout.level_start_index);
  EXPECT_EQ(out.output.sizes(), (std::vector<int64_t>{1, 3, 8}));
}

}  // namespace
}  // namespace occ::nn
