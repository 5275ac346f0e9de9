// The baseline model end to end: output shapes of every size preset, losses,
// parameter groups, prediction, and a tiny model overfitting one batch.
#include "models/baseline/baseline_model.h"

#include <gtest/gtest.h>
#include <torch/optim/adam.h>
#include <torch/serialize.h>

#include <cmath>
#include <fstream>
#include <set>
#include <string>

#include "core/error.h"
#include "losses/occupancy_losses.h"
#include "models/registry.h"
#include "support/synthetic_batch.h"
#include "support/temp_dir.h"

namespace occ::models {
namespace {

using nlohmann::json;

using test::synthetic_batch;

// A preset shrunk in width only (channels, layers), keeping its geometry.
json narrow(const std::string& size, const GridSpec& grid) {
  return test::narrowed(baseline_default_config(size, grid));
}

TEST(BaselineModel, EveryPresetPredictsTheFullGrid) {
  torch::NoGradGuard no_grad;
  const GridSpec occ3d;
  const Batch batch = synthetic_batch(1, 2, 32, 64, occ3d);
  for (const std::string& size : find_model_kind("baseline").sizes) {
    json config = narrow(size, occ3d);
    if (size == "tiny") config["occupancy_head"] = true;
    // 160k queries x 16 slices of self-attention take seconds on a CPU; the
    // self-attention layout has its own test.
    if (size == "base") config["self_attention"] = false;
    const auto model = find_model_kind("baseline").create(config, occ3d);
    model->eval();
    StageClock clock;
    model->set_stage_clock(&clock);
    const ModelOutput output = model->forward(batch);
    EXPECT_EQ(output.logits.sizes().vec(), (std::vector<int64_t>{1, 18, 200, 200, 16})) << size;
    EXPECT_EQ(output.occupancy_logit.defined(), size == "tiny") << size;
    if (size == "tiny") {
      EXPECT_EQ(output.occupancy_logit.sizes().vec(), (std::vector<int64_t>{1, 200, 200, 16}));
    }
    const at::Tensor semantics = model->predict(output, batch, {}).semantics;
    EXPECT_EQ(semantics.scalar_type(), at::kByte);
    EXPECT_EQ(semantics.sizes().vec(), (std::vector<int64_t>{1, 200, 200, 16}));
    for (const std::string stage : {"backbone", "view_transformation", "decoder"})
      EXPECT_EQ(clock.seconds().count(stage), 1u) << size << " " << stage;
  }
}

TEST(BaselineModel, RejectsAQueryShapeTheDecoderCannotReach) {
  const GridSpec occ3d;
  json config = narrow("small", occ3d);
  config["query_shape"] = {60, 60, 16};
  try {
    find_model_kind("baseline").create(config, occ3d);
    FAIL() << "no error";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("model.query_shape 60x60x16 cannot reach the grid 200x200x16"),
              std::string::npos)
        << error.what();
  }
}

TEST(BaselineModel, ParameterGroupsSplitTheBackboneAndSkipFrozenParameters) {
  GridSpec grid;
  grid.shape = {16, 16, 4};
  json config = narrow("small", grid);  // ResNet-50, frozen_stages 1
  BaselineModel model(BaselineConfig::from_json(config), grid);
  const auto groups = model.parameter_groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "backbone");
  EXPECT_DOUBLE_EQ(groups[0].lr_multiplier, 0.1);
  EXPECT_EQ(groups[1].name, "rest");
  EXPECT_DOUBLE_EQ(groups[1].lr_multiplier, 1.0);
  std::set<const void*> grouped;
  for (const auto& group : groups)
    for (const auto& parameter : group.parameters) EXPECT_TRUE(grouped.insert(parameter.data_ptr()).second);
  size_t trainable = 0;
  for (const auto& item : model.named_parameters()) {
    const bool in_group = grouped.count(item.value().data_ptr()) == 1;
    EXPECT_EQ(in_group, item.value().requires_grad()) << item.key();
    // Stem and layer1 are frozen.
    if (item.key().rfind("backbone.conv1", 0) == 0 || item.key().rfind("backbone.layer1.", 0) == 0) {
      EXPECT_FALSE(item.value().requires_grad()) << item.key();
    }
    trainable += item.value().requires_grad() ? 1 : 0;
  }
  EXPECT_EQ(grouped.size(), trainable);
  for (const auto& parameter : groups[0].parameters) EXPECT_TRUE(parameter.requires_grad());

  // norm_eval: training leaves the backbone's BN layers in eval mode, not the
  // decoder's.
  model.train();
  for (const auto& module : model.backbone->modules(/*include_self=*/false))
    if (module->as<torch::nn::BatchNorm2d>()) {
      EXPECT_FALSE(module->is_training());
    }
  EXPECT_TRUE(model.decoder->upsampling[1]->is_training());
}

TEST(BaselineModel, StagesAfterTheLastOutIndexAreFrozen) {
  GridSpec grid;
  grid.shape = {16, 16, 4};
  BaselineModel model(BaselineConfig::from_json(narrow("demo", grid)), grid);  // out_indices 1, 2
  for (const auto& item : model.backbone->named_parameters()) {
    const bool unused = item.key().rfind("layer4.", 0) == 0;
    EXPECT_EQ(item.value().requires_grad(), !unused) << item.key();
  }
}

// The cameras see the query volume: the loss reaches the images through the
// cross-attention, and every trainable parameter gets a gradient.
TEST(BaselineModel, GradientsReachTheImagesAndEveryTrainableParameter) {
  GridSpec grid;
  grid.shape = {16, 16, 4};
  grid.origin_m = {-8.0, -8.0, -1.0};
  grid.voxel_size_m = {1.0, 1.0, 1.0};
  json config = narrow("demo", grid);
  config["self_attention"] = true;
  config["occupancy_head"] = true;
  BaselineModel model(BaselineConfig::from_json(config), grid);
  {
    // Deformable DETR's zero-initialised attention-weight layers cut the
    // gradient to the attending query (and so to the position embeddings)
    // until the first step; perturb them as one step would.
    torch::NoGradGuard no_grad;
    for (auto& item : model.named_parameters())
      if (item.key().find("attention_weights.weight") != std::string::npos) item.value().normal_(0.0, 0.01);
  }
  Batch batch = synthetic_batch(1, 2, 32, 48, grid);
  batch.images.set_requires_grad(true);
  at::Tensor total = at::zeros({});
  for (const auto& term : model.losses(model.forward(batch), batch)) total = total + term.second;
  total.backward();
  for (int64_t camera = 0; camera < 2; ++camera)
    EXPECT_GT(batch.images.grad()[0][camera].abs().sum().item<double>(), 0.0) << "camera " << camera;
  for (const auto& group : model.parameter_groups())
    for (const auto& parameter : group.parameters) ASSERT_TRUE(parameter.grad().defined()) << group.name;
  for (const auto& item : model.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_GT(item.value().grad().abs().sum().item<double>(), 0.0) << item.key();
  }
}

// --backbone-weights: a torchvision ResNet-18 state dict (fc.* included, as
// torchvision saves it) replaces the backbone's weights and keeps the frozen
// stages frozen.
TEST(BaselineModel, LoadsTorchvisionBackboneWeights) {
  test::TempDir dir;
  nn::ResNet source(nn::ResNetOptions{18});
  c10::impl::GenericDict state(c10::StringType::get(), c10::TensorType::get());
  for (const auto& item : source->named_parameters()) state.insert(item.key(), item.value().detach().clone());
  for (const auto& item : source->named_buffers()) state.insert(item.key(), item.value().clone());
  state.insert("fc.weight", at::zeros({1000, 512}));
  state.insert("fc.bias", at::zeros({1000}));
  const auto bytes = torch::pickle_save(state);
  const std::string path = dir.file("resnet18.pth");
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

  GridSpec grid;
  grid.shape = {16, 16, 4};
  BaselineModel model(BaselineConfig::from_json(narrow("demo", grid)), grid);
  const size_t trainable_before = model.parameter_groups()[0].parameters.size();
  model.load_backbone_weights(path);
  const auto loaded = model.backbone->named_parameters();
  for (const auto& item : source->named_parameters())
    EXPECT_TRUE(at::equal(loaded[item.key()], item.value())) << item.key();
  EXPECT_FALSE(loaded["layer4.0.conv1.weight"].requires_grad());
  EXPECT_EQ(model.parameter_groups()[0].parameters.size(), trainable_before);
  EXPECT_THROW(model.load_backbone_weights(dir.file("missing.pth")), Error);
}

TEST(BaselineModel, PredictionAppliesTheOccupancyThreshold) {
  GridSpec grid;
  grid.shape = {16, 16, 4};
  json config = narrow("demo", grid);
  config["occupancy_head"] = true;
  BaselineModel model(BaselineConfig::from_json(config), grid);
  ModelOutput output;
  output.logits = at::zeros({1, 18, 3, 1, 1});
  output.logits[0][4][0][0][0] = 1;
  output.logits[0][5][1][0][0] = 1;
  output.logits[0][6][2][0][0] = 1;
  // sigmoid(-3) = 0.047 < 0.05 turns the second voxel free; 0.5 keeps the third.
  output.occupancy_logit = at::tensor({3.0f, -3.0f, 0.0f}).view({1, 3, 1, 1});
  EXPECT_TRUE(
      at::equal(model.predict_semantics(output), at::tensor({4, 17, 6}, at::kByte).view({1, 3, 1, 1})));
  output.occupancy_logit = at::Tensor();
  EXPECT_TRUE(
      at::equal(model.predict_semantics(output), at::tensor({4, 5, 6}, at::kByte).view({1, 3, 1, 1})));
}

TEST(BaselineModel, LossesAreNamedAndWeighted) {
  // Seeded: the gap checked at the end depends on the initial weights and
  // the random images.
  at::manual_seed(3);
  GridSpec grid;
  grid.shape = {16, 16, 4};
  json config = narrow("demo", grid);
  config["occupancy_head"] = true;
  BaselineModel model(BaselineConfig::from_json(config), grid);
  Batch batch = synthetic_batch(1, 2, 32, 48, grid);
  // Half the grid unobserved: the masked and unmasked Lovasz terms then
  // differ by far more than float noise (unseeded, with 6 of 16 slices, the
  // gap was ~1e-4 at initialisation and one CI run fell below it).
  batch.mask_camera.slice(1, 0, 8).zero_();
  const ModelOutput output = model.forward(batch);
  const LossTerms terms = model.losses(output, batch);
  ASSERT_EQ(terms.size(), 3u);
  EXPECT_EQ(terms[0].first, "ce");
  EXPECT_EQ(terms[1].first, "lovasz");
  EXPECT_EQ(terms[2].first, "focal");
  for (const auto& term : terms) EXPECT_EQ(term.second.dim(), 0) << term.first;
  // PanoOcc's weights (10, 1, 2) on the loss functions, each restricted to
  // mask_camera.
  torch::NoGradGuard no_grad;
  const at::Tensor probabilities = output.logits.softmax(1);
  const auto& target = batch.semantics;
  const auto& mask = batch.mask_camera;
  EXPECT_NEAR(terms[0].second.item<double>(),
              10.0 * losses::masked_cross_entropy(output.logits, target, mask).item<double>(), 1e-4);
  const double masked_lovasz = losses::lovasz_softmax(probabilities, target, 17, mask).item<double>();
  EXPECT_NEAR(terms[1].second.item<double>(), masked_lovasz, 1e-5);
  EXPECT_NEAR(terms[2].second.item<double>(),
              2.0 * losses::focal_occupancy_loss(output.occupancy_logit, target, 17, mask).item<double>(),
              1e-5);
  // PanoOcc's own Lovasz term sees every voxel.
  config["loss_lovasz_mask_camera"] = false;
  BaselineModel unmasked(BaselineConfig::from_json(config), grid);
  const double unmasked_lovasz = unmasked.losses(output, batch)[1].second.item<double>();
  EXPECT_NEAR(unmasked_lovasz, losses::lovasz_softmax(probabilities, target, 17).item<double>(), 1e-5);
  EXPECT_GT(std::abs(unmasked_lovasz - masked_lovasz), 1e-4);
}

TEST(BaselineModel, ClassWeightedCeUsesTheTrainingCountsAndIsAskedForOnlyWhenOn) {
  at::manual_seed(4);
  GridSpec grid;
  grid.shape = {16, 16, 4};
  json config = narrow("demo", grid);
  BaselineModel plain(BaselineConfig::from_json(config), grid);
  EXPECT_FALSE(plain.wants_class_counts());
  const std::vector<int64_t> counts = {5, 0, 40, 3, 9, 1, 2, 8, 7, 6, 4, 100, 30, 60, 70, 50, 20, 9000};
  EXPECT_THROW(plain.set_class_counts(counts), UsageError);  // weighting "none"

  config["loss_ce_class_weighting"] = "inverse_log_frequency";
  BaselineModel model(BaselineConfig::from_json(config), grid);
  EXPECT_TRUE(model.wants_class_counts());
  Batch batch = synthetic_batch(1, 2, 32, 48, grid);
  const ModelOutput output = model.forward(batch);
  EXPECT_THROW(model.losses(output, batch), UsageError);  // no counts yet
  EXPECT_THROW(model.set_class_counts({1, 2, 3}), UsageError);
  model.set_class_counts(counts);
  ASSERT_TRUE(model.ce_class_weights().defined());
  EXPECT_NEAR(model.ce_class_weights()[0].item<double>(), 1.0 / std::log(5.001), 1e-6);
  EXPECT_EQ(model.ce_class_weights()[1].item<double>(), 0.0);
  const LossTerms terms = model.losses(output, batch);
  torch::NoGradGuard no_grad;
  const double weighted = losses::masked_cross_entropy(output.logits, batch.semantics, batch.mask_camera,
                                                       model.ce_class_weights())
                              .item<double>();
  EXPECT_NEAR(terms[0].second.item<double>(), BaselineConfig::from_json(config).loss_ce_weight * weighted,
              1e-4);
  const double unweighted =
      losses::masked_cross_entropy(output.logits, batch.semantics, batch.mask_camera).item<double>();
  EXPECT_GT(std::abs(weighted - unweighted), 1e-4);
}

TEST(BaselineModel, ImageSemanticLossLabelsEachCellWithThePixelAtItsCentre) {
  // One image of 2x4 pixels, 1x2 cells of 3 classes: the cell centres fall on
  // pixels (1, 1) and (1, 3) (floor((i + 0.5) * 2)), classes 2 and 1.
  const at::Tensor classes = at::tensor({0, 0, 0, 0, 0, 2, 0, 1}, at::kLong).view({1, 1, 2, 4});
  at::Tensor logits = at::zeros({1, 3, 1, 2});
  logits[0][1][0][1] = std::log(2.0);  // cell 1: p(class 1) = 2 / 4
  // Cell 0 uniform: -log(1/3); cell 1: -log(1/2); the mean of the two.
  EXPECT_NEAR(image_semantic_loss(logits, classes).item<double>(), (std::log(3.0) + std::log(2.0)) / 2, 1e-6);
}

TEST(BaselineModel, ImageSemanticTermIsWeightedAndAskedForOnlyWhenOn) {
  at::manual_seed(5);
  GridSpec grid;
  grid.shape = {16, 16, 4};
  json config = narrow("demo", grid);
  const ModelKind& kind = find_model_kind("baseline");
  EXPECT_FALSE(kind.inputs(config).camera_semantics);
  BaselineModel plain(BaselineConfig::from_json(config), grid);
  for (const auto& item : plain.named_parameters())
    EXPECT_EQ(item.key().find("image_semantics"), std::string::npos);

  config["loss_image_semantics_weight"] = 0.5;
  EXPECT_TRUE(kind.inputs(config).camera_semantics);
  BaselineModel model(BaselineConfig::from_json(config), grid);
  Batch batch = synthetic_batch(1, 2, 32, 48, grid);
  EXPECT_THROW(model.losses(model.forward(batch), batch), UsageError);  // no camera classes
  batch.camera_semantics = at::randint(0, grid.num_classes, {1, 2, 32, 48}, at::kLong);
  const ModelOutput output = model.forward(batch);
  const at::Tensor& cells = output.extras.at("image_semantics");
  EXPECT_EQ(cells.sizes(), (std::vector<int64_t>{2, grid.num_classes, 4, 6}));  // stride 8
  const LossTerms terms = model.losses(output, batch);
  ASSERT_EQ(terms.size(), 3u);
  EXPECT_EQ(terms[2].first, "image_ce");
  EXPECT_NEAR(terms[2].second.item<double>(),
              0.5 * image_semantic_loss(cells, batch.camera_semantics).item<double>(), 1e-6);
  terms[2].second.backward();
  bool reaches_backbone = false;
  for (const at::Tensor& parameter : model.backbone->parameters())
    reaches_backbone =
        reaches_backbone || (parameter.grad().defined() && parameter.grad().abs().sum().item<double>() > 0);
  EXPECT_TRUE(reaches_backbone);
}

TEST(BaselineModel, ImagePretrainingTrainsTheImagePathAlone) {
  at::manual_seed(6);
  GridSpec grid;
  grid.shape = {16, 16, 4};
  json config = narrow("demo", grid);
  config["image_pretraining"] = true;
  EXPECT_THROW(BaselineConfig::from_json(config), UsageError);  // needs the 2D term
  config["loss_image_semantics_weight"] = 2.0;
  BaselineModel model(BaselineConfig::from_json(config), grid);
  model.train();
  Batch batch = synthetic_batch(1, 2, 32, 48, grid);
  EXPECT_THROW(model.forward(batch), UsageError);  // no camera classes
  batch.camera_semantics = at::randint(0, grid.num_classes, {1, 2, 32, 48}, at::kLong);
  const ModelOutput output = model.forward(batch);
  EXPECT_FALSE(output.logits.defined());  // the 3D path did not run
  const at::Tensor& cells = output.extras.at("image_semantics");
  const LossTerms terms = model.losses(output, batch);
  ASSERT_EQ(terms.size(), 1u);
  EXPECT_EQ(terms[0].first, "image_ce");
  EXPECT_NEAR(terms[0].second.item<double>(),
              2.0 * image_semantic_loss(cells, batch.camera_semantics).item<double>(), 1e-6);
  terms[0].second.backward();
  for (const auto& item : model.named_parameters()) {
    const bool image_path = item.key().rfind("backbone.", 0) == 0 || item.key().rfind("neck.", 0) == 0 ||
                            item.key().rfind("image_semantics.", 0) == 0;
    if (!image_path) {
      EXPECT_FALSE(item.value().grad().defined()) << item.key();
    }
  }
  EXPECT_GT(model.image_semantics->weight.grad().abs().sum().item<double>(), 0);
  // Evaluation runs the whole model, as occ predict and validation need.
  torch::NoGradGuard no_grad;
  model.eval();
  EXPECT_EQ(model.forward(batch).logits.sizes().vec(),
            (std::vector<int64_t>{1, grid.num_classes, 16, 16, 4}));
}

TEST(BaselineModel, TracesTheCrossAttentionOfEveryLayer) {
  torch::NoGradGuard no_grad;
  GridSpec grid;
  grid.shape = {16, 16, 4};
  json config = narrow("demo", grid);
  config["encoder_layers"] = 2;
  BaselineModel model(BaselineConfig::from_json(config), grid);
  const Batch batch = synthetic_batch(1, 2, 32, 48, grid);
  VoxelEncoderTrace trace;
  model.forward_traced(batch, &trace);
  ASSERT_EQ(trace.layers.size(), 2u);
  const int64_t longest = trace.hits.query_index.size(1);
  // 4x4x2 queries, 2 cameras; heads 2, levels 2, points 2.
  EXPECT_EQ(trace.hits.hit.sizes().vec(), (std::vector<int64_t>{1, 2, 32}));
  EXPECT_EQ(trace.layers[1].sampling_locations.sizes().vec(), (std::vector<int64_t>{2, longest, 2, 2, 2, 2}));
  EXPECT_EQ(trace.layers[1].attention_weights.sizes().vec(), (std::vector<int64_t>{2, longest, 2, 2, 2}));
}

// A demo-sized model on a 16x16x4 grid memorises one batch.
TEST(BaselineModel, OverfitsOneBatch) {
  at::manual_seed(3);
  GridSpec grid;
  grid.shape = {16, 16, 4};
  grid.origin_m = {-8.0, -8.0, -1.0};
  grid.voxel_size_m = {1.0, 1.0, 1.0};
  json config = baseline_default_config("demo", grid);
  config["dropout"] = 0.0;
  const auto model = find_model_kind("baseline").create(config, grid);
  model->train();
  const Batch batch = synthetic_batch(1, 2, 32, 48, grid);
  std::vector<at::Tensor> parameters;
  for (const auto& group : model->parameter_groups())
    parameters.insert(parameters.end(), group.parameters.begin(), group.parameters.end());
  torch::optim::Adam optimiser(parameters, torch::optim::AdamOptions(1e-2));
  auto total_loss = [&] {
    const ModelOutput output = model->forward(batch);
    at::Tensor total = at::zeros({});
    for (const auto& term : model->losses(output, batch)) total = total + term.second;
    return total;
  };
  const double initial = total_loss().item<double>();
  double final_loss = initial;
  for (int step = 0; step < 40; ++step) {
    optimiser.zero_grad();
    const at::Tensor loss = total_loss();
    loss.backward();
    optimiser.step();
    final_loss = loss.item<double>();
  }
  model->eval();
  torch::NoGradGuard no_grad;
  const at::Tensor predicted = model->predict(model->forward(batch), batch, {}).semantics;
  const at::Tensor correct = predicted.to(at::kLong).eq(batch.semantics);
  const at::Tensor occupied = batch.semantics.ne(grid.free_class);
  const double accuracy = correct.to(at::kDouble).mean().item<double>();
  const double occupied_accuracy = correct.masked_select(occupied).to(at::kDouble).mean().item<double>();
  std::cout << "overfit: loss " << initial << " -> " << final_loss << " in 40 steps, eval accuracy "
            << accuracy << " (occupied voxels " << occupied_accuracy << ")\n";
  // Measured with this seed: 34.0 -> 0.58 (59x), accuracy 1.0. Seeds 1..6 give
  // 16x..59x and accuracy 0.965..1.0 (occupied voxels 0.88..1.0), 71% of the
  // voxels being free.
  EXPECT_LT(final_loss, initial / 10.0);
  EXPECT_GT(accuracy, 0.95);
  EXPECT_GT(occupied_accuracy, 0.8);
}

}  // namespace
}  // namespace occ::models
