// model.backbone: the ConvNeXt keys of the shared image backbone in the
// baseline (and so ProtoOcc) and Let Occ Flow configurations, a baseline
// model on ConvNeXt-T end to end, and --backbone-weights of a torchvision
// ConvNeXt file.
#include <gtest/gtest.h>
#include <torch/serialize.h>

#include <fstream>
#include <string>

#include "core/error.h"
#include "models/baseline/baseline_model.h"
#include "models/letoccflow/letoccflow_config.h"
#include "nn/convnext.h"
#include "support/synthetic_batch.h"
#include "support/temp_dir.h"

namespace occ::models {
namespace {

using nlohmann::json;

std::string usage_error(const json& config) {
  try {
    BaselineConfig::from_json(config);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "no error";
}

GridSpec small_grid() {
  GridSpec grid;
  grid.shape = {16, 16, 4};
  grid.origin_m = {-8.0, -8.0, -1.0};
  grid.voxel_size_m = {1.0, 1.0, 1.0};
  return grid;
}

// The demo preset narrowed, on ConvNeXt-T (stages 1 and 2, strides 8, 16).
json convnext_demo() {
  json config = test::narrowed(baseline_default_config("demo", small_grid()));
  config["backbone"] = "convnext_tiny";
  return config;
}

TEST(BackboneKeys, EveryPresetKeepsItsResNet) {
  for (const std::string& size : baseline_sizes()) {
    const BaselineConfig config = BaselineConfig::from_json(baseline_default_config(size, GridSpec{}));
    EXPECT_EQ(config.backbone, "resnet") << size;
    EXPECT_DOUBLE_EQ(config.backbone_drop_path, 0.0) << size;
    EXPECT_FALSE(config.backbone_norm_out) << size;
  }
  // Let Occ Flow: base is the paper's ConvNeXt-B as the released config
  // builds it; small and demo keep their ResNets.
  const auto letoccflow = [](const std::string& size) {
    return LetOccFlowConfig::from_json(letoccflow_default_config(size, GridSpec{}));
  };
  const LetOccFlowConfig base = letoccflow("base");
  EXPECT_EQ(base.backbone, "convnext_base");
  EXPECT_EQ(base.backbone_out_indices, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(base.backbone_frozen_stages, -1);
  EXPECT_TRUE(base.backbone_norm_out);
  EXPECT_DOUBLE_EQ(base.backbone_drop_path, 0.0);
  EXPECT_EQ(base.num_levels, 4);
  EXPECT_EQ(base.embed_dims, 192);
  for (const std::string size : {"small", "demo"}) {
    EXPECT_EQ(letoccflow(size).backbone, "resnet") << size;
    EXPECT_FALSE(letoccflow(size).backbone_norm_out) << size;
  }
}

TEST(BackboneKeys, BadValuesNameTheirKey) {
  json config = baseline_default_config("demo", GridSpec{});
  config["backbone"] = "convnext_large";
  EXPECT_NE(usage_error(config).find("'model.backbone' must be resnet, convnext_tiny"), std::string::npos)
      << usage_error(config);
  config["backbone"] = "resnet";
  config["backbone_drop_path"] = 0.1;
  EXPECT_NE(usage_error(config).find("'model.backbone_drop_path' is ConvNeXt's stochastic depth"),
            std::string::npos)
      << usage_error(config);
  config["backbone_drop_path"] = 0.0;
  config["backbone_norm_out"] = true;
  EXPECT_NE(usage_error(config).find("'model.backbone_norm_out'"), std::string::npos) << usage_error(config);
  config = convnext_demo();
  config["backbone_drop_path"] = 1.5;
  EXPECT_NE(usage_error(config).find("'model.backbone_drop_path' must lie in [0.0, 0.999]"),
            std::string::npos)
      << usage_error(config);
  config["backbone_drop_path"] = 0.3;
  config["backbone_style"] = "caffe";
  EXPECT_NE(usage_error(config).find("'model.backbone_style' caffe is a ResNet variant"), std::string::npos)
      << usage_error(config);
  config["backbone_style"] = "pytorch";
  EXPECT_EQ(usage_error(config), "no error");
}

TEST(BackboneKeys, BaselineOnConvNeXtTinyTrainsItsUsedStages) {
  const GridSpec grid = small_grid();
  BaselineModel model(BaselineConfig::from_json(convnext_demo()), grid);
  auto* convnext = dynamic_cast<nn::ConvNeXtImpl*>(model.backbone.get());
  ASSERT_NE(convnext, nullptr);
  EXPECT_EQ(convnext->out_channels(), (std::vector<int64_t>{192, 384}));
  EXPECT_EQ(model.neck->options().in_channels, (std::vector<int64_t>{192, 384}));
  // Stage 3 (features.6 and .7) never runs: frozen, out of the optimiser.
  for (const auto& item : model.backbone->named_parameters()) {
    const bool unused = item.key().rfind("features.6.", 0) == 0 || item.key().rfind("features.7.", 0) == 0;
    EXPECT_EQ(item.value().requires_grad(), !unused) << item.key();
  }
  Batch batch = test::synthetic_batch(1, 2, 32, 48, grid);
  const ModelOutput output = model.forward(batch);
  EXPECT_EQ(output.logits.sizes().vec(), (std::vector<int64_t>{1, grid.num_classes, 16, 16, 4}));
  at::Tensor total = at::zeros({});
  for (const auto& term : model.losses(output, batch)) total = total + term.second;
  total.backward();
  const auto parameters = model.backbone->named_parameters();
  for (const char* name : {"features.0.0.weight", "features.3.2.block.5.weight", "features.5.8.layer_scale"})
    EXPECT_GT(parameters[name].grad().abs().sum().item<double>(), 0.0) << name;
}

// --backbone-weights with a torchvision ConvNeXt-T state dict (classifier
// included, as torchvision saves it).
TEST(BackboneKeys, LoadsTorchvisionConvNeXtWeights) {
  test::TempDir dir;
  nn::ConvNeXt source(nn::ConvNeXtOptions{});
  c10::impl::GenericDict state(c10::StringType::get(), c10::TensorType::get());
  for (const auto& item : source->named_parameters()) state.insert(item.key(), item.value().detach().clone());
  state.insert("classifier.0.weight", at::ones({768}));
  state.insert("classifier.0.bias", at::zeros({768}));
  state.insert("classifier.2.weight", at::zeros({1000, 768}));
  state.insert("classifier.2.bias", at::zeros({1000}));
  const auto bytes = torch::pickle_save(state);
  const std::string path = dir.file("convnext_tiny.pth");
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

  BaselineModel model(BaselineConfig::from_json(convnext_demo()), small_grid());
  model.load_backbone_weights(path);
  const auto loaded = model.backbone->named_parameters();
  for (const auto& item : source->named_parameters())
    EXPECT_TRUE(at::equal(loaded[item.key()], item.value())) << item.key();
  EXPECT_FALSE(loaded["features.7.0.block.0.weight"].requires_grad());

  // A ResNet model refuses the ConvNeXt file, naming what does not fit.
  BaselineModel resnet(
      BaselineConfig::from_json(test::narrowed(baseline_default_config("demo", small_grid()))), small_grid());
  try {
    resnet.load_backbone_weights(path);
    ADD_FAILURE() << "a ConvNeXt file loaded into a ResNet";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("lacks 120 model parameter(s)"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace occ::models
