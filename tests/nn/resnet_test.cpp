// ResNet backbone: stage shapes, torchvision parameter names, parity with
// torchvision (tests/python/make_resnet_reference.py), state dict loading.
#include "nn/resnet.h"

#include <gtest/gtest.h>
#include <torch/serialize.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "core/error.h"
#include "nn/state_dict.h"
#include "support/run.h"
#include "support/temp_dir.h"

namespace occ::nn {
namespace {

NamedTensors named_state(torch::nn::Module& module) {
  NamedTensors entries;
  for (const auto& item : module.named_parameters())
    entries.emplace_back(item.key(), item.value().detach().clone());
  for (const auto& item : module.named_buffers()) entries.emplace_back(item.key(), item.value().clone());
  return entries;
}

std::set<std::string> state_names(torch::nn::Module& module) {
  std::set<std::string> names;
  for (const auto& [name, tensor] : named_state(module)) names.insert(name);
  return names;
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

TEST(ResNet, StageShapesForEveryDepth) {
  torch::NoGradGuard no_grad;
  const auto images = torch::randn({2, 3, 64, 96});
  for (int depth : {18, 34, 50, 101}) {
    ResNet model(ResNetOptions{depth});
    model->eval();
    const auto outputs = model->forward(images);
    ASSERT_EQ(outputs.size(), 4u) << "depth " << depth;
    const int64_t expansion = depth >= 50 ? 4 : 1;
    for (int stage = 0; stage < 4; ++stage) {
      const int64_t stride = int64_t{4} << stage;
      const auto& out = outputs[static_cast<size_t>(stage)];
      EXPECT_EQ(out.sizes().vec(),
                (std::vector<int64_t>{2, (64 << stage) * expansion, 64 / stride, 96 / stride}))
          << "depth " << depth << " stage " << stage;
      EXPECT_EQ(out.size(1), resnet_stage_channels(depth, stage));
    }
    EXPECT_EQ(model->out_channels(),
              (std::vector<int64_t>{64 * expansion, 128 * expansion, 256 * expansion, 512 * expansion}));
  }
}

TEST(ResNet, OutIndicesSelectStages) {
  torch::NoGradGuard no_grad;
  ResNetOptions options;
  options.depth = 18;
  options.out_indices = {1, 3};
  ResNet model(options);
  model->eval();
  const auto outputs = model->forward(torch::randn({1, 3, 64, 64}));
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0].sizes().vec(), (std::vector<int64_t>{1, 128, 8, 8}));
  EXPECT_EQ(outputs[1].sizes().vec(), (std::vector<int64_t>{1, 512, 2, 2}));
  EXPECT_EQ(model->out_channels(), (std::vector<int64_t>{128, 512}));
}

TEST(ResNet, RejectsBadOptions) {
  EXPECT_THROW(ResNet{ResNetOptions{20}}, UsageError);
  ResNetOptions unordered;
  unordered.out_indices = {2, 1};
  EXPECT_THROW(ResNet{unordered}, UsageError);
  ResNetOptions out_of_range;
  out_of_range.out_indices = {4};
  EXPECT_THROW(ResNet{out_of_range}, UsageError);
}

// torchvision 0.14's resnet18 state dict has 122 entries; ours lacks only the
// classifier (fc.weight, fc.bias).
TEST(ResNet, ParameterNamesFollowTorchvision) {
  ResNet resnet18(ResNetOptions{18});
  const auto names18 = state_names(*resnet18);
  EXPECT_EQ(names18.size(), 120u);
  for (const char* name :
       {"conv1.weight", "bn1.running_var", "layer1.1.bn2.num_batches_tracked", "layer2.0.downsample.0.weight",
        "layer2.0.downsample.1.running_mean", "layer4.1.conv2.weight"})
    EXPECT_EQ(names18.count(name), 1u) << name;
  // layer1 keeps 64 channels at stride 1: no projection shortcut.
  EXPECT_EQ(names18.count("layer1.0.downsample.0.weight"), 0u);
  EXPECT_EQ(names18.count("layer1.0.conv3.weight"), 0u);

  ResNet resnet50(ResNetOptions{50});
  const auto names50 = state_names(*resnet50);
  EXPECT_EQ(names50.size(), 318u);  // torchvision: 320 including fc
  EXPECT_EQ(names50.count("layer1.0.downsample.0.weight"), 1u);
  EXPECT_EQ(resnet50->named_parameters()["layer4.2.conv3.weight"].sizes().vec(),
            (std::vector<int64_t>{2048, 512, 1, 1}));
  // v1.5: the stride sits on the 3x3 conv of the first bottleneck.
  EXPECT_EQ(resnet50->named_parameters()["layer2.0.conv2.weight"].sizes().vec(),
            (std::vector<int64_t>{128, 128, 3, 3}));
}

TEST(ResNet, FrozenStagesAndNormEval) {
  ResNetOptions options;
  options.depth = 18;
  options.frozen_stages = 1;
  ResNet model(options);
  model->train();
  auto parameters = model->named_parameters();
  EXPECT_FALSE(parameters["conv1.weight"].requires_grad());
  EXPECT_FALSE(parameters["layer1.1.conv2.weight"].requires_grad());
  EXPECT_TRUE(parameters["layer2.0.conv1.weight"].requires_grad());
  auto children = model->named_modules();
  EXPECT_FALSE(children["bn1"]->is_training());
  EXPECT_FALSE(children["layer1.0.bn1"]->is_training());
  EXPECT_TRUE(children["layer2.0.bn1"]->is_training());

  options.frozen_stages = -1;
  options.norm_eval = true;
  ResNet norm_eval(options);
  norm_eval->train();
  EXPECT_TRUE(norm_eval->is_training());
  const auto before = norm_eval->named_buffers()["layer3.0.bn1.running_mean"].clone();
  norm_eval->forward(torch::randn({2, 3, 32, 32}));
  EXPECT_TRUE(torch::equal(before, norm_eval->named_buffers()["layer3.0.bn1.running_mean"]));
  EXPECT_FALSE(norm_eval->named_modules()["layer3.0.bn1"]->is_training());
  EXPECT_TRUE(norm_eval->named_parameters()["layer3.0.bn1.weight"].requires_grad());
}

TEST(StateDict, MissingEntryIsNamed) {
  ResNet model(ResNetOptions{18});
  auto entries = named_state(*model);
  entries.erase(std::find_if(entries.begin(), entries.end(),
                             [](const auto& e) { return e.first == "layer3.1.bn2.running_mean"; }));
  const auto message = error_message([&] { load_state_dict(*model, entries); });
  EXPECT_NE(message.find("lacks 1 model parameter(s): 'layer3.1.bn2.running_mean'"), std::string::npos)
      << message;

  StateDictLoadOptions lenient;
  lenient.strict = false;
  const auto result = load_state_dict(*model, entries, lenient);
  EXPECT_EQ(result.missing, (std::vector<std::string>{"layer3.1.bn2.running_mean"}));
  EXPECT_EQ(result.loaded.size(), 119u);
}

TEST(StateDict, WrongShapeIsNamedAndLeavesTheModelUnchanged) {
  ResNet model(ResNetOptions{18});
  auto entries = named_state(*model);
  for (auto& [name, tensor] : entries) {
    if (name == "conv1.weight") tensor = torch::zeros_like(tensor);
    if (name == "layer2.0.conv1.weight") tensor = torch::zeros({128, 64, 1, 1});
  }
  const auto message = error_message([&] { load_state_dict(*model, entries); });
  EXPECT_NE(message.find("'layer2.0.conv1.weight' has shape [128, 64, 1, 1] but the model "
                         "expects [128, 64, 3, 3]"),
            std::string::npos)
      << message;
  EXPECT_GT(model->named_parameters()["conv1.weight"].abs().sum().item<float>(), 0.0f);
}

TEST(StateDict, UnexpectedEntryIsNamedUnlessIgnored) {
  ResNet model(ResNetOptions{18});
  auto entries = named_state(*model);
  entries.emplace_back("fc.weight", torch::zeros({1000, 512}));
  const auto message = error_message([&] { load_state_dict(*model, entries); });
  EXPECT_NE(message.find("'fc.weight'"), std::string::npos) << message;
  StateDictLoadOptions options;
  options.ignored_prefixes = {"fc."};
  EXPECT_EQ(load_state_dict(*model, entries, options).loaded.size(), 120u);
}

TEST(StateDict, ReadsCheckpointWrapperWithPrefixAndCopiesValues) {
  test::TempDir dir;
  ResNet source(ResNetOptions{18});
  c10::impl::GenericDict inner(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, tensor] : named_state(*source)) inner.insert("backbone." + name, tensor);
  c10::impl::GenericDict checkpoint(c10::StringType::get(), c10::AnyType::get());
  checkpoint.insert("state_dict", inner);
  const auto bytes = torch::pickle_save(checkpoint);
  const auto path = dir.file("checkpoint.pt");
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

  ResNet target(ResNetOptions{18});
  StateDictLoadOptions options;
  options.source_prefix = "backbone.";
  EXPECT_EQ(load_state_dict_file(*target, path, options).loaded.size(), 120u);
  EXPECT_TRUE(torch::equal(source->named_parameters()["layer4.1.conv2.weight"],
                           target->named_parameters()["layer4.1.conv2.weight"]));
}

TEST(ResNet, CaffeStyleStridesOnTheFirst1x1Conv) {
  ResNetOptions options;
  options.style = ResNetStyle::Caffe;
  ResNet caffe(options);
  auto modules = caffe->named_modules();
  EXPECT_EQ(modules["layer2.0.conv1"]->as<torch::nn::Conv2d>()->options.stride()->at(0), 2);
  EXPECT_EQ(modules["layer2.0.conv2"]->as<torch::nn::Conv2d>()->options.stride()->at(0), 1);
  ResNet pytorch(ResNetOptions{50});
  modules = pytorch->named_modules();
  EXPECT_EQ(modules["layer2.0.conv1"]->as<torch::nn::Conv2d>()->options.stride()->at(0), 1);
  EXPECT_EQ(modules["layer2.0.conv2"]->as<torch::nn::Conv2d>()->options.stride()->at(0), 2);
  EXPECT_EQ(state_names(*caffe), state_names(*pytorch));
  torch::NoGradGuard no_grad;
  caffe->eval();
  EXPECT_EQ(caffe->forward(torch::randn({1, 3, 64, 64}))[3].sizes().vec(),
            (std::vector<int64_t>{1, 2048, 2, 2}));
}

// A detector checkpoint: {"state_dict": {"backbone.conv1.weight": ..., "neck...": ...}}.
TEST(ResNet, LoadsBackboneOfADetectorCheckpoint) {
  test::TempDir dir;
  ResNet source(ResNetOptions{18});
  c10::impl::GenericDict inner(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, tensor] : named_state(*source)) inner.insert("backbone." + name, tensor);
  inner.insert("neck.lateral_convs.0.conv.weight", torch::zeros({256, 64, 1, 1}));
  c10::impl::GenericDict checkpoint(c10::StringType::get(), c10::AnyType::get());
  checkpoint.insert("state_dict", inner);
  const auto bytes = torch::pickle_save(checkpoint);
  const auto path = dir.file("detector.pth");
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

  ResNet target(ResNetOptions{18});
  EXPECT_EQ(load_resnet_weights(*target, path).loaded.size(), 120u);
  EXPECT_TRUE(torch::equal(source->named_buffers()["layer3.0.downsample.1.running_var"],
                           target->named_buffers()["layer3.0.downsample.1.running_var"]));
  // The wrong depth names what does not fit.
  ResNet deeper(ResNetOptions{34});
  const auto message = error_message([&] { load_resnet_weights(*deeper, path); });
  EXPECT_NE(message.find("backbone weights"), std::string::npos) << message;
  EXPECT_NE(message.find("lacks 96 model parameter(s): 'layer1.2.bn1.bias'"), std::string::npos) << message;
}

TEST(StateDict, UnreadableFilesFailClearly) {
  test::TempDir dir;
  ResNet model(ResNetOptions{18});
  EXPECT_THROW(read_state_dict(dir.file("absent.pt")), IoError);
  std::ofstream(dir.file("garbage.pt")) << "not a pickle";
  const auto message = error_message([&] { read_state_dict(dir.file("garbage.pt")); });
  EXPECT_NE(message.find("not a torch.save file"), std::string::npos) << message;

  // A torch.save archive cut in half (an interrupted download).
  c10::impl::GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  dict.insert("weight", torch::randn({64, 64}));
  const auto bytes = torch::pickle_save(dict);
  std::ofstream(dir.file("truncated.pt"), std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  EXPECT_THROW(read_state_dict(dir.file("truncated.pt")), FormatError);
}

// Files written by Python's torch.save (tests/python/make_resnet_reference.py).
TEST(StateDict, ReadsWhatPythonWrites) {
  test::TempDir dir;
  const auto generated =
      test::run({OCC_PYTHON_EXECUTABLE, OCC_SOURCE_DIR "/tests/python/make_resnet_reference.py", "--out",
                 dir.path().string(), "--depths", "--pickle-cases"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;

  const auto single = read_state_dict(dir.file("single.pt"));
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].first, "weight");
  EXPECT_EQ(single[0].second.sizes().vec(), (std::vector<int64_t>{3, 2}));

  std::map<std::string, torch::Tensor> views;
  for (auto& [name, tensor] : read_state_dict(dir.file("views.pt"))) views[name] = tensor;
  ASSERT_EQ(views.size(), 4u);
  const auto base = torch::arange(12, torch::kFloat64).reshape({3, 4});
  EXPECT_TRUE(torch::equal(views.at("base"), base));
  EXPECT_TRUE(torch::equal(views.at("column"), base.select(1, 1)));
  EXPECT_EQ(views.at("half").scalar_type(), torch::kHalf);
  EXPECT_TRUE(torch::equal(views.at("half").to(torch::kFloat64), base.slice(0, 1)));
  EXPECT_EQ(views.at("count").dim(), 0);
  EXPECT_EQ(views.at("count").item<int64_t>(), -5);

  const auto message = error_message([&] { read_state_dict(dir.file("object.pt")); });
  EXPECT_NE(message.find("unsupported object"), std::string::npos) << message;
}

// torchvision reference written by Python: our forward must match stage by
// stage after loading torchvision's own state dict file.
TEST(ResNet, ParityWithTorchvision) {
  test::TempDir dir;
  const auto generated =
      test::run({OCC_PYTHON_EXECUTABLE, OCC_SOURCE_DIR "/tests/python/make_resnet_reference.py", "--out",
                 dir.path().string(), "--depths", "18", "50"});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  torch::NoGradGuard no_grad;
  for (int depth : {18, 50}) {
    const std::string stem = dir.file("resnet" + std::to_string(depth));
    ResNet model(ResNetOptions{depth});
    model->eval();

    std::set<std::string> torchvision_names;
    std::ifstream names(stem + "_names.txt");
    for (std::string name; std::getline(names, name);)
      if (name.rfind("fc.", 0) != 0) torchvision_names.insert(name);
    EXPECT_EQ(state_names(*model), torchvision_names) << "depth " << depth;

    EXPECT_EQ(load_resnet_weights(*model, stem + ".pt").loaded.size(), torchvision_names.size());

    std::map<std::string, torch::Tensor> io;
    for (auto& [name, tensor] : read_state_dict(stem + "_io.pt")) io[name] = tensor;
    const auto outputs = model->forward(io.at("input"));
    for (int stage = 0; stage < 4; ++stage) {
      const auto& expected = io.at("layer" + std::to_string(stage + 1));
      const auto& actual = outputs[static_cast<size_t>(stage)];
      ASSERT_EQ(actual.sizes(), expected.sizes());
      const double max_difference = (actual - expected).abs().max().item<double>();
      const double scale = expected.abs().max().item<double>();
      EXPECT_LE(max_difference, 1e-4 * scale) << "depth " << depth << " layer" << stage + 1;
      std::printf("resnet%d layer%d: max |ours - torchvision| = %.3g (max |torchvision| %.3g)\n", depth,
                  stage + 1, max_difference, scale);
    }
  }
}

}  // namespace
}  // namespace occ::nn
