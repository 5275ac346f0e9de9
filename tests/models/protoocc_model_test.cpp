// ProtoOcc end to end: shapes of every size preset, what training and
// evaluation forward passes return, the loss terms of Eq. 6, the ablation
// switches (all off is the baseline), and a tiny model memorising one batch.
#include "models/protoocc/protoocc_model.h"

#include <gtest/gtest.h>
#include <torch/optim/adam.h>

#include <cmath>
#include <set>
#include <string>

#include "core/config_tree.h"
#include "core/error.h"
#include "models/registry.h"
#include "support/synthetic_batch.h"

namespace occ::models {
namespace {

using nlohmann::json;

GridSpec small_grid() {
  GridSpec grid;
  grid.shape = {16, 16, 4};
  grid.origin_m = {-8.0, -8.0, -1.0};
  grid.voxel_size_m = {1.0, 1.0, 1.0};
  return grid;
}

// Six block superpixels per image (2 rows x 3 columns).
at::Tensor block_masks(const Batch& batch) {
  const int64_t height = batch.images.size(3), width = batch.images.size(4);
  const at::Tensor rows =
      at::arange(height, at::kLong).div(height / 2, "floor").clamp_max(1).view({height, 1});
  const at::Tensor columns =
      at::arange(width, at::kLong).div(width / 3, "floor").clamp_max(2).view({1, width});
  return (rows * 3 + columns).expand({batch.size(), batch.images.size(1), height, width}).contiguous();
}

json protoocc_config(const std::string& size, const GridSpec& grid) {
  return test::narrowed(find_model_kind("protoocc").default_config(size, grid));
}

// The demo preset with configs/protoocc_paper.toml's [model] keys on top.
json paper_config(const GridSpec& grid) {
  json config = {{"model", protoocc_config("demo", grid)}};
  overlay_config(config, read_toml_file(std::string(OCC_SOURCE_DIR) + "/configs/protoocc_paper.toml"),
                 "configs/protoocc_paper.toml");
  return config["model"];
}

std::set<std::string> term_names(const LossTerms& terms) {
  std::set<std::string> names;
  for (const auto& term : terms) names.insert(term.first);
  return names;
}

TEST(ProtoOccModel, EveryPresetPredictsTheFullGridAndReportsPrototypes) {
  torch::NoGradGuard no_grad;
  const GridSpec occ3d;
  const Batch batch = test::synthetic_batch(1, 2, 64, 96, occ3d);
  const ModelKind& kind = find_model_kind("protoocc");
  EXPECT_EQ(kind.sizes, find_model_kind("baseline").sizes);
  for (const std::string& size : kind.sizes) {
    json config = protoocc_config(size, occ3d);
    if (size == "base") config["self_attention"] = false;  // as the baseline's test: seconds on a CPU
    const auto model = kind.create(config, occ3d);
    model->eval();
    const ModelOutput output = model->forward(batch);
    EXPECT_EQ(output.logits.sizes().vec(), (std::vector<int64_t>{1, 18, 200, 200, 16})) << size;
    // No augmented views at inference: the decoder runs once.
    EXPECT_EQ(output.extras.count("view_logits.1"), 0u) << size;
    EXPECT_EQ(output.extras.count("prototype_pixels"), 0u) << size;
    // Stride-8 features of a 64x96 image: 8x12 cells.
    ASSERT_EQ(output.extras.count("prototype_assignment"), 1u) << size;
    EXPECT_EQ(output.extras.at("prototype_assignment").sizes().vec(), (std::vector<int64_t>{1, 2, 8, 12}))
        << size;
  }
}

TEST(ProtoOccModel, TrainingReturnsViewsPixelFeaturesAndTheTermsOfEquation6) {
  at::manual_seed(1);
  const GridSpec grid = small_grid();
  json config = protoocc_config("demo", grid);
  config["mod_augmentations"] = "dropout,flip_x";
  ProtoOccModel model(ProtoOccConfig::from_json(config), grid);
  model.train();
  Batch batch = test::synthetic_batch(1, 2, 32, 48, grid);
  batch.masks = block_masks(batch);
  const ModelOutput output = model.forward(batch);
  for (const std::string name : {"view_logits.1", "view_logits.2", "prototype_pixels"})
    EXPECT_EQ(output.extras.count(name), 1u) << name;
  EXPECT_EQ(output.extras.at("view_logits.2").sizes(), output.logits.sizes());
  // Prototype-aware pixel features on the stride-8 grid of each image, not
  // all pointing one way (centred cells; without centring the demo model
  // starts with every cell parallel and the contrastive loss stuck at log S).
  const at::Tensor pixels = output.extras.at("prototype_pixels");
  EXPECT_EQ(pixels.sizes().vec(), (std::vector<int64_t>{2, 16, 4, 6}));
  {
    torch::NoGradGuard no_grad;
    const at::Tensor cells = pixels.flatten(2).transpose(1, 2);
    const at::Tensor unit = cells / cells.norm(2, {-1}, true).clamp_min(1e-30);
    EXPECT_LT(at::bmm(unit, unit.transpose(1, 2)).mean().item<double>(), 0.5);
  }
  const LossTerms terms = model.losses(output, batch);
  EXPECT_EQ(term_names(terms), (std::set<std::string>{"ce", "lovasz", "consistency", "prototype"}));
  // The supervised terms are summed over the three views (Eq. 6).
  double single_view_ce = 0.0;
  {
    torch::NoGradGuard no_grad;
    single_view_ce = model.semantic_losses(output.logits, {}, batch)[0].second.item<double>();
  }
  EXPECT_GT(terms[0].second.item<double>(), 2.0 * single_view_ce);
  at::Tensor total = at::zeros({});
  for (const auto& term : terms) total = total + term.second;
  total.backward();
  // The mapping and the pixel head learn.
  int64_t with_gradient = 0;
  for (const auto& item : model.named_parameters()) {
    if (item.key().rfind("prototype_", 0) != 0) continue;
    if (item.value().grad().defined() && item.value().grad().abs().sum().item<double>() > 0.0)
      ++with_gradient;
  }
  EXPECT_GT(with_gradient, 0);
}

// The "paper" preset: every key takes its paper / Context Clusters value,
// the model trains every term, and the contrastive loss alone reaches the
// cross-attention's sampling offsets through G (gradient through the map).
TEST(ProtoOccModel, PaperPresetTrainsAndItsContrastiveLossReachesTheAttention) {
  at::manual_seed(2);
  const GridSpec grid = small_grid();
  const ProtoOccConfig parsed = ProtoOccConfig::from_json(paper_config(grid));
  EXPECT_FALSE(parsed.proto_affinity_learnable);
  EXPECT_EQ(parsed.proto_assignment, "hard");
  EXPECT_FALSE(parsed.proto_aggregate_counts_prototype);
  EXPECT_FALSE(parsed.proto_normalise_dispatch);
  EXPECT_EQ(parsed.proto_residual, "mapped");
  EXPECT_EQ(parsed.proto_pixels_map, "linear");
  EXPECT_TRUE(parsed.proto_pixels_attention_gradient);
  EXPECT_FALSE(parsed.proto_pixels_normalise);
  EXPECT_FALSE(parsed.proto_pixels_centre);
  EXPECT_TRUE(parsed.proto_loss_sum);
  for (const bool gradient : {true, false}) {
    ProtoOccConfig config = parsed;
    config.proto_pixels_attention_gradient = gradient;
    ProtoOccModel model(config, grid);
    model.train();
    Batch batch = test::synthetic_batch(1, 2, 32, 48, grid);
    batch.masks = block_masks(batch);
    const ModelOutput output = model.forward(batch);
    const LossTerms terms = model.losses(output, batch);
    EXPECT_EQ(term_names(terms), (std::set<std::string>{"ce", "lovasz", "consistency", "prototype"}));
    for (const auto& term : terms) EXPECT_TRUE(std::isfinite(term.second.item<double>())) << term.first;
    for (const auto& term : terms)
      if (term.first == "prototype") term.second.backward();
    double offsets = 0.0;
    for (const auto& item : model.named_parameters())
      if (item.key().find("cross_attention.deformable_attention.sampling_offsets") != std::string::npos &&
          item.value().grad().defined())
        offsets += item.value().grad().abs().sum().item<double>();
    if (gradient)
      EXPECT_GT(offsets, 0.0);
    else
      EXPECT_EQ(offsets, 0.0);
  }
}

// model.proto_residual: with the cross-attention's output projection zeroed
// the attention adds nothing, so with "query" the volume does not depend on
// the images at all, while with "mapped" the prototypes (image features)
// reach it through the residual.
TEST(ProtoOccModel, MappedResidualCarriesThePrototypeFeaturesIntoTheVolume) {
  const GridSpec grid = small_grid();
  for (const std::string residual : {"query", "mapped"}) {
    at::manual_seed(3);
    json config = protoocc_config("demo", grid);
    config["proto_residual"] = residual;
    ProtoOccModel model(ProtoOccConfig::from_json(config), grid);
    {
      torch::NoGradGuard no_grad;
      for (const auto& item : model.named_parameters())
        if (item.key().find("cross_attention.output_proj") != std::string::npos) item.value().zero_();
    }
    model.eval();
    Batch batch = test::synthetic_batch(1, 2, 32, 48, grid);
    const at::Tensor first = model.forward(batch).logits;
    batch.images = batch.images.flip({-1}) * 0.5 + 0.2;
    const at::Tensor second = model.forward(batch).logits;
    const double change = (first - second).abs().max().item<double>();
    if (residual == "query")
      EXPECT_LT(change, 1e-7) << "the volume read the images without the attention";
    else
      EXPECT_GT(change, 1e-5);  // 6e-5 measured: the dispatch MLP starts small
  }
}

// The demo recipe's 2D term trains with ProtoOcc too (outside Eq. 6).
TEST(ProtoOccModel, ImageSemanticTermAddsImageCe) {
  const GridSpec grid = small_grid();
  json config = protoocc_config("demo", grid);
  config["loss_image_semantics_weight"] = 1.0;
  config["proto_optimisation"] = false;
  ProtoOccModel model(ProtoOccConfig::from_json(config), grid);
  model.train();
  Batch batch = test::synthetic_batch(1, 2, 32, 48, grid);
  batch.camera_semantics = at::randint(0, 18, {1, 2, 32, 48}, at::kLong);
  const LossTerms terms = model.losses(model.forward(batch), batch);
  EXPECT_EQ(term_names(terms), (std::set<std::string>{"ce", "lovasz", "consistency", "image_ce"}));
}

TEST(ProtoOccModel, PrototypeOptimisationWithoutMasksIsAUsageErrorNamingTheOption) {
  const GridSpec grid = small_grid();
  ProtoOccModel model(ProtoOccConfig::from_json(protoocc_config("demo", grid)), grid);
  model.train();
  const Batch batch = test::synthetic_batch(1, 2, 32, 48, grid);
  try {
    model.losses(model.forward(batch), batch);
    FAIL() << "no error";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("--masks"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(find_model_kind("protoocc").inputs(protoocc_config("demo", grid)).masks);
  json no_optimisation = protoocc_config("demo", grid);
  no_optimisation["proto_optimisation"] = false;
  EXPECT_FALSE(find_model_kind("protoocc").inputs(no_optimisation).masks);
}

// Every addition switched off leaves the baseline: same parameters, same
// output for the same weights.
TEST(ProtoOccModel, AllSwitchesOffIsTheBaseline) {
  torch::NoGradGuard no_grad;
  const GridSpec grid = small_grid();
  json config = protoocc_config("demo", grid);
  config["proto_mapping"] = false;
  config["proto_optimisation"] = false;
  config["mod"] = false;
  ProtoOccModel protoocc(ProtoOccConfig::from_json(config), grid);
  json baseline_config = test::narrowed(find_model_kind("baseline").default_config("demo", grid));
  BaselineModel baseline(BaselineConfig::from_json(baseline_config), grid);
  const auto protoocc_parameters = protoocc.named_parameters();
  const auto baseline_parameters = baseline.named_parameters();
  ASSERT_EQ(protoocc_parameters.size(), baseline_parameters.size());
  for (const auto& item : baseline_parameters) item.value().copy_(protoocc_parameters[item.key()]);
  protoocc.eval();
  baseline.eval();
  const Batch batch = test::synthetic_batch(1, 2, 32, 48, grid);
  EXPECT_TRUE(at::allclose(protoocc.forward(batch).logits, baseline.forward(batch).logits));
  EXPECT_TRUE(protoocc.forward(batch).extras.empty());
}

TEST(ProtoOccModel, RefusesTheBaselinesTwoDimensionalPretraining) {
  GridSpec grid;
  grid.shape = {16, 16, 4};
  json config = protoocc_config("demo", grid);
  config["loss_image_semantics_weight"] = 1.0;
  EXPECT_NO_THROW(ProtoOccConfig::from_json(config));  // the demo recipe's 2D term is accepted
  config["image_pretraining"] = true;
  try {
    ProtoOccConfig::from_json(config);
    FAIL() << "no error";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("model.image_pretraining"), std::string::npos) << error.what();
  }
}

TEST(ProtoOccModel, MappingOnFirstLayerOnlyBuildsOneMapping) {
  const GridSpec grid = small_grid();
  json config = protoocc_config("demo", grid);
  config["encoder_layers"] = 2;
  ProtoOccModel every(ProtoOccConfig::from_json(config), grid);
  EXPECT_EQ(every.mappings.size(), 2u);
  config["proto_mapping_layers"] = "first";
  ProtoOccModel first(ProtoOccConfig::from_json(config), grid);
  EXPECT_EQ(first.mappings.size(), 1u);
}

TEST(ProtoOccConfig, RejectsBadValuesNamingTheKey) {
  const GridSpec grid = small_grid();
  auto message = [&](const json& config) -> std::string {
    try {
      ProtoOccModel model(ProtoOccConfig::from_json(config), grid);
    } catch (const UsageError& error) {
      return error.what();
    }
    return "no error";
  };
  json config = protoocc_config("demo", grid);
  json stride = config;
  stride["proto_feature_stride"] = 32;  // demo's FPN levels have strides 8 and 16
  EXPECT_NE(message(stride).find("'model.proto_feature_stride'"), std::string::npos) << message(stride);
  json augmentations = config;
  augmentations["mod_augmentations"] = "dropout,rotate";
  EXPECT_NE(message(augmentations).find("model.mod_augmentations"), std::string::npos);
  json layers = config;
  layers["proto_mapping_layers"] = "last";
  EXPECT_NE(message(layers).find("'model.proto_mapping_layers'"), std::string::npos);
  json unknown = config;
  unknown["proto_typo"] = 1;
  EXPECT_NE(message(unknown).find("'model.proto_typo'"), std::string::npos);
  json optimisation_alone = config;
  optimisation_alone["proto_mapping"] = false;
  EXPECT_NE(message(optimisation_alone).find("'model.proto_optimisation'"), std::string::npos);
  // The configuration round-trips through JSON.
  EXPECT_EQ(ProtoOccConfig::from_json(config).to_json(), config);
}

// A demo-sized ProtoOcc on a 16x16x4 grid memorises one batch with every
// addition on.
TEST(ProtoOccModel, OverfitsOneBatch) {
  at::manual_seed(3);
  const GridSpec grid = small_grid();
  json config = find_model_kind("protoocc").default_config("demo", grid);
  config["dropout"] = 0.0;
  const auto model = find_model_kind("protoocc").create(config, grid);
  model->train();
  Batch batch = test::synthetic_batch(1, 2, 32, 48, grid);
  batch.masks = block_masks(batch);
  std::vector<at::Tensor> parameters;
  for (const auto& group : model->parameter_groups())
    parameters.insert(parameters.end(), group.parameters.begin(), group.parameters.end());
  torch::optim::Adam optimiser(parameters, torch::optim::AdamOptions(1e-2));
  for (int step = 0; step < 40; ++step) {
    optimiser.zero_grad();
    at::Tensor total = at::zeros({});
    for (const auto& term : model->losses(model->forward(batch), batch)) total = total + term.second;
    total.backward();
    optimiser.step();
  }
  model->eval();
  torch::NoGradGuard no_grad;
  const at::Tensor predicted = model->predict(model->forward(batch), batch, {}).semantics.to(at::kLong);
  const at::Tensor correct = predicted.eq(batch.semantics);
  const at::Tensor occupied = batch.semantics.ne(grid.free_class);
  // 71% of the voxels are free: the occupied ones carry the test.
  EXPECT_GT(correct.to(at::kDouble).mean().item<double>(), 0.95);
  EXPECT_GT(correct.masked_select(occupied).to(at::kDouble).mean().item<double>(), 0.8);
}

}  // namespace
}  // namespace occ::models
