// ConvNeXt backbone: stage shapes, torchvision parameter names and counts,
// parity with torchvision (tests/python/make_convnext_reference.py), the
// original-layout checkpoints, frozen stages and stochastic depth.
#include "nn/convnext.h"

#include <gtest/gtest.h>
#include <torch/serialize.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "nn/resnet.h"
#include "nn/state_dict.h"
#include "support/run.h"
#include "support/temp_dir.h"

namespace occ::nn {
namespace {

std::set<std::string> state_names(torch::nn::Module& module) {
  std::set<std::string> names;
  for (const auto& item : module.named_parameters()) names.insert(item.key());
  for (const auto& item : module.named_buffers()) names.insert(item.key());
  return names;
}

int64_t parameter_count(torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& parameter : module.parameters()) count += parameter.numel();
  return count;
}

template <typename Body>
std::string error_message(Body&& body) {
  try {
    body();
  } catch (const FormatError& error) {
    return error.what();
  }
  return "(no FormatError thrown)";
}

ConvNeXtOptions sized(ConvNeXtSize size) {
  ConvNeXtOptions options;
  options.size = size;
  return options;
}

// The reference files, written once for the tests that read them.
class ConvNeXtReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const auto generated =
        test::run({"/usr/bin/python3", OCC_SOURCE_DIR "/tests/python/make_convnext_reference.py", "--out",
                   dir_->path().string()});
    generated_ok_ = generated.exit_code == 0;
    generator_error_ = generated.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(generated_ok_) << generator_error_; }
  static std::string file(const std::string& name) { return dir_->file(name); }

  static std::map<std::string, torch::Tensor> io() {
    std::map<std::string, torch::Tensor> tensors;
    for (auto& [name, tensor] : read_state_dict(file("convnext_tiny_io.pt"))) tensors[name] = tensor;
    return tensors;
  }

  static test::TempDir* dir_;
  static bool generated_ok_;
  static std::string generator_error_;
};
test::TempDir* ConvNeXtReference::dir_ = nullptr;
bool ConvNeXtReference::generated_ok_ = false;
std::string ConvNeXtReference::generator_error_;

TEST(ConvNeXt, StageShapesAndChannels) {
  torch::NoGradGuard no_grad;
  ConvNeXt model(sized(ConvNeXtSize::Tiny));
  model->eval();
  const auto outputs = model->forward(torch::randn({2, 3, 64, 96}));
  ASSERT_EQ(outputs.size(), 4u);
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t stride = int64_t{4} << stage;
    EXPECT_EQ(outputs[static_cast<size_t>(stage)].sizes().vec(),
              (std::vector<int64_t>{2, 96 << stage, 64 / stride, 96 / stride}))
        << "stage " << stage;
  }
  EXPECT_EQ(model->out_channels(), (std::vector<int64_t>{96, 192, 384, 768}));
  EXPECT_EQ(convnext_stage_channels(ConvNeXtSize::Small, 3), 768);
  EXPECT_EQ(convnext_stage_channels(ConvNeXtSize::Base, 0), 128);
  EXPECT_EQ(convnext_stage_channels(ConvNeXtSize::Base, 3), 1024);
  EXPECT_EQ(convnext_stage_blocks(ConvNeXtSize::Small), (std::vector<int64_t>{3, 3, 27, 3}));

  ConvNeXtOptions two;
  two.out_indices = {1, 2};
  ConvNeXt partial(two);
  partial->eval();
  const auto selected = partial->forward(torch::randn({1, 3, 32, 32}));
  ASSERT_EQ(selected.size(), 2u);
  EXPECT_EQ(selected[0].sizes().vec(), (std::vector<int64_t>{1, 192, 4, 4}));
  EXPECT_EQ(selected[1].sizes().vec(), (std::vector<int64_t>{1, 384, 2, 2}));
  // Stage 2 (stride 16) needs at least 16 pixels.
  EXPECT_THROW(partial->forward(torch::randn({1, 3, 8, 64})), UsageError);
}

TEST(ConvNeXt, RejectsBadOptions) {
  EXPECT_THROW(convnext_size("large"), UsageError);
  ConvNeXtOptions unordered;
  unordered.out_indices = {2, 1};
  EXPECT_THROW(ConvNeXt{unordered}, UsageError);
  ConvNeXtOptions drop;
  drop.drop_path = 1.0;
  EXPECT_THROW(ConvNeXt{drop}, UsageError);
  ConvNeXtOptions frozen;
  frozen.frozen_stages = 5;
  EXPECT_THROW(ConvNeXt{frozen}, UsageError);
}

TEST(ConvNeXt, OutputNormsAreNamedAfterTheirStage) {
  ConvNeXtOptions options;
  options.out_indices = {0, 2};
  options.norm_out = true;
  ConvNeXt model(options);
  auto parameters = model->named_parameters();
  EXPECT_EQ(parameters["norm0.weight"].sizes().vec(), (std::vector<int64_t>{96}));
  EXPECT_EQ(parameters["norm2.bias"].sizes().vec(), (std::vector<int64_t>{384}));
  EXPECT_EQ(parameters.find("norm1.weight"), nullptr);
  torch::NoGradGuard no_grad;
  model->eval();
  // At their identity initialisation every output pixel has channel mean 0
  // and variance 1.
  const auto outputs = model->forward(torch::randn({1, 3, 64, 64}));
  for (const auto& output : outputs) {
    EXPECT_LT(output.mean(1).abs().max().item<double>(), 1e-4);
    EXPECT_NEAR(output.var(1, /*unbiased=*/false).mean().item<double>(), 1.0, 1e-3);
  }
}

TEST(ConvNeXt, FrozenStagesStayFixedAndInEvalMode) {
  ConvNeXtOptions options;
  options.frozen_stages = 2;
  options.drop_path = 0.2;
  ConvNeXt model(options);
  model->train();
  auto parameters = model->named_parameters();
  for (const char* frozen : {"features.0.0.weight", "features.1.2.block.3.weight", "features.2.1.weight",
                             "features.3.0.layer_scale"})
    EXPECT_FALSE(parameters[frozen].requires_grad()) << frozen;
  for (const char* trained :
       {"features.4.0.weight", "features.5.0.block.0.weight", "features.7.2.layer_scale"})
    EXPECT_TRUE(parameters[trained].requires_grad()) << trained;
  auto modules = model->named_modules();
  EXPECT_FALSE(modules["features.3.1"]->is_training());
  EXPECT_TRUE(modules["features.5.1"]->is_training());

  ConvNeXtOptions stem_only;
  stem_only.frozen_stages = 0;
  ConvNeXt stem(stem_only);
  EXPECT_FALSE(stem->named_parameters()["features.0.1.weight"].requires_grad());
  EXPECT_TRUE(stem->named_parameters()["features.1.0.block.0.weight"].requires_grad());
  EXPECT_EQ(stem->stage_parameter_prefixes(0), (std::vector<std::string>{"features.1."}));
  EXPECT_EQ(stem->stage_parameter_prefixes(3), (std::vector<std::string>{"features.6.", "features.7."}));
}

// torchvision's linear schedule: block b of B has p = rate * b / (B - 1).
TEST(ConvNeXt, StochasticDepthScheduleIsLinearOverAllBlocks) {
  ConvNeXtOptions options;
  options.drop_path = 0.4;
  ConvNeXt model(options);
  std::vector<double> probabilities;
  for (const auto& module : model->modules(/*include_self=*/false))
    if (const auto* block = module->as<CNBlock>()) probabilities.push_back(block->drop_probability());
  ASSERT_EQ(probabilities.size(), 18u);  // tiny: 3 + 3 + 9 + 3
  for (size_t b = 0; b < probabilities.size(); ++b)
    EXPECT_NEAR(probabilities[b], 0.4 * static_cast<double>(b) / 17.0, 1e-12) << "block " << b;
}

// In training a block drops each sample's residual branch with probability
// p and scales the kept ones by 1 / (1 - p); in eval it always adds it.
TEST(ConvNeXt, StochasticDepthDropsWholeSamplesInTrainingOnly) {
  torch::manual_seed(3);
  CNBlock block(8, 0.5, 0.5);
  const auto input = torch::randn({400, 8, 6, 6});
  torch::NoGradGuard no_grad;
  block->eval();
  const auto branch = block->forward(input) - input;
  ASSERT_GT(branch.abs().min().item<double>(), 0.0);
  block->train();
  const auto trained = block->forward(input) - input;
  int64_t dropped = 0;
  for (int64_t n = 0; n < input.size(0); ++n) {
    const auto sample = trained[n];
    if (sample.abs().max().item<double>() == 0.0) {
      ++dropped;
    } else {
      EXPECT_TRUE(torch::allclose(sample, 2.0 * branch[n], 1e-5, 1e-6)) << "sample " << n;
    }
  }
  // Binomial(400, 0.5): 200 +- 10; 140..260 is six standard deviations.
  EXPECT_GT(dropped, 140);
  EXPECT_LT(dropped, 260);
}

TEST_F(ConvNeXtReference, ParameterNamesFollowTorchvision) {
  ConvNeXt tiny(sized(ConvNeXtSize::Tiny));
  std::set<std::string> torchvision_names;
  std::ifstream names(file("convnext_tiny_names.txt"));
  for (std::string name; std::getline(names, name);)
    if (name.rfind("classifier.", 0) != 0) torchvision_names.insert(name);
  EXPECT_EQ(torchvision_names.size(), 178u);
  EXPECT_EQ(state_names(*tiny), torchvision_names);
}

// Small and Base differ from Tiny only in depth and width: their parameter
// counts equal torchvision's (computed by Python) less the classifier.
TEST(ConvNeXt, ParameterCountsAreTorchvisions) {
  test::TempDir dir;
  const auto generated =
      test::run({"/usr/bin/python3", OCC_SOURCE_DIR "/tests/python/make_convnext_reference.py", "--out",
                 dir.path().string(), "--counts"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  std::map<std::string, int64_t> counts;
  std::ifstream listed(dir.file("convnext_params.txt"));
  std::string size;
  for (int64_t count = 0; listed >> size >> count;) counts[size] = count;
  ASSERT_EQ(counts.size(), 3u);
  // torchvision's 28.6 M, 50.2 M and 88.6 M less the classifier head.
  EXPECT_EQ(counts.at("tiny"), 27818592);
  EXPECT_EQ(counts.at("small"), 49453152);
  EXPECT_EQ(counts.at("base"), 87564416);
  ConvNeXt tiny(sized(ConvNeXtSize::Tiny));
  EXPECT_EQ(parameter_count(*tiny), counts.at("tiny"));
  ConvNeXt small(sized(ConvNeXtSize::Small));
  EXPECT_EQ(parameter_count(*small), counts.at("small"));
  ConvNeXt base(sized(ConvNeXtSize::Base));
  EXPECT_EQ(parameter_count(*base), counts.at("base"));
}

TEST_F(ConvNeXtReference, ParityWithTorchvision) {
  torch::NoGradGuard no_grad;
  ConvNeXt model(sized(ConvNeXtSize::Tiny));
  model->eval();
  EXPECT_EQ(load_convnext_weights(*model, file("convnext_tiny.pt")).loaded.size(), 178u);
  const auto tensors = io();
  const auto outputs = model->forward(tensors.at("input"));
  ASSERT_EQ(outputs.size(), 4u);
  for (int stage = 0; stage < 4; ++stage) {
    const auto& expected = tensors.at("stage" + std::to_string(stage));
    const auto& actual = outputs[static_cast<size_t>(stage)];
    ASSERT_EQ(actual.sizes(), expected.sizes());
    const double max_difference = (actual - expected).abs().max().item<double>();
    const double scale = expected.abs().max().item<double>();
    EXPECT_GT(scale, 0.5);
    EXPECT_LE(max_difference, 1e-4 * scale) << "stage " << stage;
    std::printf("convnext_tiny stage%d: max |ours - torchvision| = %.3g (max |torchvision| %.3g)\n", stage,
                max_difference, scale);
  }
}

// A detector checkpoint in the original layout (SparK's "official style", Let
// Occ Flow's checkpoint) loads into the same parameters as torchvision's file.
TEST_F(ConvNeXtReference, OriginalLayoutLoadsAsTorchvisionsFile) {
  ConvNeXt torchvision_loaded(sized(ConvNeXtSize::Tiny));
  load_convnext_weights(*torchvision_loaded, file("convnext_tiny.pt"));
  ConvNeXtOptions with_norms = sized(ConvNeXtSize::Tiny);
  with_norms.norm_out = true;
  ConvNeXt official(with_norms);
  // 178 from the file, 8 output-norm parameters kept at their identity.
  EXPECT_EQ(load_convnext_weights(*official, file("convnext_tiny_official.pt")).loaded.size(), 186u);
  auto expected = torchvision_loaded->named_parameters();
  for (const auto& item : official->named_parameters()) {
    if (item.key().rfind("norm", 0) == 0) {
      EXPECT_TRUE(torch::equal(item.value(), item.key().find("weight") != std::string::npos
                                                 ? torch::ones_like(item.value())
                                                 : torch::zeros_like(item.value())))
          << item.key();
      continue;
    }
    EXPECT_TRUE(torch::equal(item.value(), expected[item.key()])) << item.key();
  }
}

TEST_F(ConvNeXtReference, MismatchedFilesAreNamed) {
  ConvNeXtOptions options = sized(ConvNeXtSize::Small);
  ConvNeXt small(options);
  const auto before = small->named_parameters()["features.0.0.weight"].clone();
  auto message = error_message([&] { load_convnext_weights(*small, file("convnext_tiny.pt")); });
  EXPECT_NE(message.find("backbone weights"), std::string::npos) << message;
  // Stage 2 of Small has 27 blocks, Tiny's 9: 18 blocks of 9 parameters.
  EXPECT_NE(message.find("lacks 162 model parameter(s): 'features.5.10.block.0.bias'"), std::string::npos)
      << message;
  EXPECT_TRUE(torch::equal(before, small->named_parameters()["features.0.0.weight"]));

  ConvNeXt base(sized(ConvNeXtSize::Base));
  message = error_message([&] { load_convnext_weights(*base, file("convnext_tiny.pt")); });
  EXPECT_NE(
      message.find("'features.0.0.weight' has shape [96, 3, 4, 4] but the model expects [128, 3, 4, 4]"),
      std::string::npos)
      << message;

  // A ResNet file is not a ConvNeXt file.
  test::TempDir dir;
  ResNet resnet(ResNetOptions{18});
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& item : resnet->named_parameters()) dict.insert(item.key(), item.value().detach());
  const auto bytes = torch::pickle_save(dict);
  std::ofstream(dir.file("resnet.pt"), std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ConvNeXt tiny(sized(ConvNeXtSize::Tiny));
  message = error_message([&] { load_convnext_weights(*tiny, dir.file("resnet.pt")); });
  EXPECT_NE(message.find("lacks 178 model parameter(s)"), std::string::npos) << message;
}

}  // namespace
}  // namespace occ::nn
