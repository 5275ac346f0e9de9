// Let Occ Flow (models/letoccflow/): configuration and sizes, the TPV
// geometry, learning on a tiny synthetic world, stage 2 from stage 1, and
// the usage errors that come before any work.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "core/config_tree.h"
#include "core/error.h"
#include "models/letoccflow/letoccflow_config.h"
#include "models/letoccflow/letoccflow_model.h"
#include "models/letoccflow/tpv_encoder.h"
#include "models/registry.h"
#include "support/flow_label_files.h"
#include "support/temp_dir.h"
#include "train/adamw.h"
#include "train/data_loader.h"
#include "train/model_file.h"
#include "train/predictor.h"
#include "train/run_config.h"
#include "train/trainer.h"
#include "train/trainer_test_frames.h"

namespace occ::models {
namespace {

GridSpec occ3d_grid() {
  return GridSpec{};  // 200x200x16 at 0.4 m from (-40, -40, -1)
}

int64_t parameter_count(torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& parameter : module.parameters()) count += parameter.numel();
  return count;
}

TEST(LetOccFlowConfig, BaseIsThePapersNuScenesModelAndDemoIsSmall) {
  const LetOccFlowConfig base = LetOccFlowConfig::from_json(letoccflow_default_config("base", occ3d_grid()));
  EXPECT_EQ(base.tpv_shape, (std::array<int64_t, 3>{100, 100, 10}));
  EXPECT_EQ(base.embed_dims, 192);
  EXPECT_EQ(base.num_heads, 6);
  EXPECT_EQ(base.encoder_layers, 4);
  EXPECT_EQ(base.pillar_points, (std::array<int64_t, 3>{8, 48, 48}));
  EXPECT_EQ(base.head_dims, 96);
  EXPECT_EQ(base.render.samples, 256);
  EXPECT_EQ(base.temporal, "backward_forward");  // the paper's temporal fusion and 3D decoder
  EXPECT_EQ(base.temporal_frames, 2);
  EXPECT_EQ(base.refine, "resnet_fpn3d");
  EXPECT_EQ(base.refine_blocks, (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(base.camera_embeddings, 0);
  const LetOccFlowConfig demo = LetOccFlowConfig::from_json(letoccflow_default_config("demo", occ3d_grid()));
  EXPECT_EQ(demo.tpv_shape, (std::array<int64_t, 3>{20, 20, 4}));
  EXPECT_EQ(demo.embed_dims, 32);
  EXPECT_EQ(demo.backbone_depth, 18);
  // SemanticKITTI's grid gets the paper's KITTI TPV.
  GridSpec kitti;
  kitti.shape = {256, 256, 32};
  EXPECT_EQ(LetOccFlowConfig::from_json(letoccflow_default_config("base", kitti)).tpv_shape,
            (std::array<int64_t, 3>{128, 128, 16}));
  EXPECT_THROW(letoccflow_default_config("huge", occ3d_grid()), UsageError);
}

TEST(LetOccFlowConfig, RenderAndLossKeysAreTablesThatSetReaches) {
  nlohmann::json run{{"model", letoccflow_default_config("demo", occ3d_grid())}};
  apply_assignment(run, "model.render.samples=12");
  apply_assignment(run, "model.loss.eikonal_weight=0.5");
  apply_assignment(run, "model.stage=2");
  const LetOccFlowConfig parsed = LetOccFlowConfig::from_json(run.at("model"));
  EXPECT_EQ(parsed.render.samples, 12);
  EXPECT_DOUBLE_EQ(parsed.loss.eikonal_weight, 0.5);
  EXPECT_EQ(parsed.stage, 2);
  EXPECT_EQ(LetOccFlowConfig::from_json(parsed.to_json()).to_json(), parsed.to_json());
}

TEST(LetOccFlowConfig, BadValuesAreNamed) {
  const nlohmann::json defaults = letoccflow_default_config("demo", occ3d_grid());
  const auto message = [&](const std::string& key, const nlohmann::json& value) {
    nlohmann::json config = defaults;
    config[key] = value;
    try {
      LetOccFlowConfig::from_json(config);
    } catch (const UsageError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("stage", 3).find("'model.stage'"), std::string::npos) << message("stage", 3);
  EXPECT_NE(message("tpv_shape", nlohmann::json::array({4, 4})).find("'model.tpv_shape'"), std::string::npos);
  EXPECT_NE(message("bogus", 1).find("'model.bogus'"), std::string::npos);
  EXPECT_NE(message("temporal", "lstm").find("'model.temporal'"), std::string::npos)
      << message("temporal", "lstm");
  EXPECT_NE(message("refine", "unet").find("'model.refine'"), std::string::npos);
  EXPECT_NE(message("temporal_heads", 5).find("'model.temporal_heads'"), std::string::npos);
  EXPECT_NE(message("refine_blocks", nlohmann::json::array()).find("'model.refine_blocks'"),
            std::string::npos);
  EXPECT_NE(message("camera_embeddings", -1).find("'model.camera_embeddings'"), std::string::npos);
  nlohmann::json bad_render = defaults;
  bad_render["render"]["samples"] = 0;
  EXPECT_THROW(LetOccFlowConfig::from_json(bad_render), UsageError);
}

TEST(LetOccFlowTpv, PillarsSpanTheGridAndPlanesBroadcastAlongTheirMissingAxis) {
  GridSpec grid;
  grid.shape = {10, 20, 4};
  grid.voxel_size_m = {1.0, 1.0, 1.0};
  grid.origin_m = {0.0, -10.0, -1.0};
  const at::Tensor hw = tpv_pillar_points(grid, {5, 4, 2}, {4, 3, 3}, 0);
  ASSERT_EQ(hw.sizes(), (at::IntArrayRef{20, 4, 3}));
  // Cell (0, 0) of HW: x, y at the first cell centre, z at 0.5/4 .. 3.5/4 of 4 m.
  EXPECT_FLOAT_EQ(hw[0][0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(hw[0][0][1].item<float>(), -7.5f);
  EXPECT_FLOAT_EQ(hw[0][0][2].item<float>(), -0.5f);
  EXPECT_FLOAT_EQ(hw[0][3][2].item<float>(), 2.5f);
  const at::Tensor zh = tpv_pillar_points(grid, {5, 4, 2}, {4, 3, 3}, 1);
  ASSERT_EQ(zh.sizes(), (at::IntArrayRef{10, 3, 3}));  // Z*X queries, points along y
  const at::Tensor wz = tpv_pillar_points(grid, {5, 4, 2}, {4, 3, 3}, 2);
  ASSERT_EQ(wz.sizes(), (at::IntArrayRef{8, 3, 3}));  // Y*Z queries, points along x

  TpvPlanes planes{at::zeros({1, 1, 5, 4}), at::zeros({1, 1, 2, 5}), at::zeros({1, 1, 4, 2})};
  planes.hw[0][0][3][1] = 1.0;    // x 3, y 1: every z
  planes.zh[0][0][1][2] = 10.0;   // z 1, x 2: every y
  planes.wz[0][0][2][0] = 100.0;  // y 2, z 0: every x
  const at::Tensor volume = tpv_to_volume(planes);
  ASSERT_EQ(volume.sizes(), (at::IntArrayRef{1, 1, 5, 4, 2}));
  EXPECT_FLOAT_EQ(volume[0][0][3][1][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(volume[0][0][2][3][1].item<float>(), 10.0f);
  EXPECT_FLOAT_EQ(volume[0][0][4][2][0].item<float>(), 100.0f);
  EXPECT_FLOAT_EQ(volume[0][0][2][2][0].item<float>(), 100.0f);
  EXPECT_FLOAT_EQ(volume.sum().item<float>(), 2 * 1.0f + 4 * 10.0f + 5 * 100.0f);
}

TEST(LetOccFlowTpv, APillarIsSeenWhenAnyOfItsPointsIs) {
  // One camera at the origin looking along +x (camera z = ego x).
  const at::Tensor ego_from_camera = at::tensor({0.0f, 0.0f, 1.0f, 0.0f, -1.0f, 0.0f, 0.0f, 0.0f, 0.0f, -1.0f,
                                                 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f})
                                         .view({1, 1, 4, 4});
  const at::Tensor intrinsics =
      at::tensor({10.0f, 0.0f, 10.0f, 0.0f, 10.0f, 10.0f, 0.0f, 0.0f, 1.0f}).view({1, 1, 3, 3});
  // Pillar 0: one point in front, one behind; pillar 1: both behind.
  const at::Tensor pillars =
      at::tensor({5.0f, 0.0f, 0.0f, -5.0f, 0.0f, 0.0f, -5.0f, 0.0f, 0.0f, -6.0f, 0.0f, 0.0f}).view({2, 2, 3});
  const CameraHits hits = find_pillar_hits(pillars, intrinsics, ego_from_camera, 20, 20);
  EXPECT_TRUE(hits.hit[0][0][0].item<bool>());
  EXPECT_FALSE(hits.hit[0][0][1].item<bool>());
  ASSERT_EQ(hits.locations.sizes(), (at::IntArrayRef{1, 1, 1, 2, 2}));
  EXPECT_FLOAT_EQ(hits.locations[0][0][0][0][0].item<float>(), 0.5f);  // the image centre
}

TEST(LetOccFlowTpv, CrossViewPointsAreTheQuerysPillarSeenOnEveryPlane) {
  // TPV 2x3x4, 4 points: HW 6 queries, ZH 8, WZ 12.
  const at::Tensor reference = cross_view_reference_points({2, 3, 4}, 4);
  ASSERT_EQ(reference.sizes(), (at::IntArrayRef{26, 3, 4, 2}));
  // HW query (x 0, y 0): x = 1/4, y = 1/6 of the range, z along the pillar.
  for (int64_t k = 0; k < 4; ++k) {
    const float z = (static_cast<float>(k) + 0.5f) / 4.0f;
    EXPECT_FLOAT_EQ(reference[0][0][k][0].item<float>(), 1.0f / 6.0f);  // HW: (column y, row x)
    EXPECT_FLOAT_EQ(reference[0][0][k][1].item<float>(), 0.25f);
    EXPECT_FLOAT_EQ(reference[0][1][k][0].item<float>(), 0.25f);  // ZH: (column x, row z)
    EXPECT_FLOAT_EQ(reference[0][1][k][1].item<float>(), z);
    EXPECT_FLOAT_EQ(reference[0][2][k][0].item<float>(), z);  // WZ: (column z, row y)
    EXPECT_FLOAT_EQ(reference[0][2][k][1].item<float>(), 1.0f / 6.0f);
  }
  // The first ZH query (z 0, x 0) sits at z = 1/8 on WZ, along y on its pillar.
  EXPECT_FLOAT_EQ(reference[6][2][0][0].item<float>(), 0.125f);
  EXPECT_FLOAT_EQ(reference[6][2][3][1].item<float>(), 3.5f / 4.0f);
  EXPECT_EQ(tpv_position_features({2, 3, 4}).sizes(), (at::IntArrayRef{26, 48}));
}

class LetOccFlowTraining : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new occ::test::TempDir();
    frames_ = dir_->file("world.h5");
    train::test::write_tiny_world(frames_, 3);
    flow_ = dir_->file("world.flow.h5");
    occ::test::write_test_flow_labels(flow_, frames_, 3, 6, 32, 56);
  }
  static void TearDownTestSuite() { delete dir_; }

  static train::TrainRequest request(const std::string& output, const std::vector<std::string>& extra) {
    train::TrainRequest request;
    request.frames_path = frames_;
    request.output_path = output;
    request.config.model_kind = "letoccflow";
    request.config.size = "demo";
    request.config.assignments = letoccflow_tiny_settings();
    for (const char* setting : {"train.steps=3", "train.log_every=1", "data.workers=1"})
      request.config.assignments.push_back(setting);
    for (const std::string& setting : extra) request.config.assignments.push_back(setting);
    request.quiet = true;
    return request;
  }

  static occ::test::TempDir* dir_;
  static std::string frames_, flow_;
};

occ::test::TempDir* LetOccFlowTraining::dir_ = nullptr;
std::string LetOccFlowTraining::frames_, LetOccFlowTraining::flow_;

TEST_F(LetOccFlowTraining, ATinyModelLowersThePhotometricLossOnAFixedBatch) {
  // The middle keyframe (both neighbours), the same rays every step (the
  // batch's sample seed), no dropout: the photometric term must fall.
  const ModelKind& kind = find_model_kind("letoccflow");
  train::TrainRequest settings =
      request("", {"model.dropout=0.0", "model.render.ray_rows=16", "model.render.ray_cols=28",
                   "model.render.samples=32", "model.tpv_shape=[20, 20, 4]"});
  const GridSpec grid = train::grid_of_frames_file(frames_);
  const nlohmann::json config = train::resolve_run_config(settings.config, grid).at("model");
  at::manual_seed(0);
  const auto model = kind.create(config, grid);
  model->train();
  train::LoaderOptions options = train::LoaderOptions::single_pass(1);
  options.ask_for(kind.inputs(config), /*training=*/true);
  train::BatchLoader loader(frames_, {1}, train::ImageOptions{}, options);
  const Batch batch = *loader.next();
  ASSERT_TRUE(batch.neighbour_valid.all().item<bool>());

  std::vector<train::NamedParameter> parameters;
  for (const ParameterGroup& group : model->parameter_groups())
    for (const at::Tensor& parameter : group.parameters)
      parameters.push_back({group.name, parameter, group.lr_multiplier, group.name});
  train::AdamW optimiser(parameters, train::AdamWOptions{});
  std::vector<double> photometric;
  for (int step = 0; step < 40; ++step) {
    model->on_step(step);
    optimiser.zero_grad();
    const LossTerms terms = model->losses(model->forward(batch), batch);
    at::Tensor total = at::zeros({});
    for (const auto& [name, value] : terms) {
      ASSERT_TRUE(std::isfinite(value.item<double>())) << name;
      total = total + value;
      if (name == "photometric") photometric.push_back(value.item<double>());
    }
    total.backward();
    optimiser.step(1e-2);
  }
  for (const double value : photometric) std::printf("%.4f ", value);
  std::printf("\n");
  ASSERT_EQ(photometric.size(), 40u);
  EXPECT_LT(photometric.back(), 0.9 * photometric.front())
      << photometric.front() << " -> " << photometric.back();
}

TEST_F(LetOccFlowTraining, StageTwoStartsFromStageOneAndLearnsFlow) {
  const std::string stage1 = dir_->file("stage1.model.h5");
  train::run_training(request(stage1, {}));
  // Stage 1 predicts no flow; its file holds every tensor stage 2 has.
  EXPECT_FALSE(
      find_model_kind("letoccflow").outputs(train::load_model_file(stage1).contents.config.at("model")).flow);

  const std::string stage2 = dir_->file("stage2.model.h5");
  train::TrainRequest second = request(stage2, {"model.stage=2"});
  second.init_from = stage1;
  second.init_strict = true;
  second.flow_labels_path = flow_;
  const train::TrainResult result = train::run_training(second);
  EXPECT_EQ(result.step, 3);
  for (const char* term : {"photometric", "flow", "flow_regularisation", "flow_smoothness"}) {
    ASSERT_TRUE(result.log.count(term)) << term;
    for (const double value : result.log.at(term)) EXPECT_TRUE(std::isfinite(value)) << term;
  }
  // The NeuS variance stayed where stage 1 left it.
  const auto first = train::load_model_file(stage1).model->named_parameters();
  const auto second_model = train::load_model_file(stage2).model->named_parameters();
  EXPECT_TRUE(at::equal(first["variance.variance"], second_model["variance.variance"]));
  EXPECT_FALSE(at::equal(first["encoder.hw_queries"], second_model["encoder.hw_queries"]));

  train::PredictRequest predict;
  predict.model_path = stage2;
  predict.frames_path = frames_;
  predict.output_path = dir_->file("stage2.pred.h5");
  predict.depth = true;
  predict.quiet = true;
  EXPECT_EQ(train::run_prediction(predict).frames, 3);
}

TEST_F(LetOccFlowTraining, AWorldWithoutNeighboursIsAnErrorBeforeAnyWork) {
  // One keyframe per scene: nothing to reproject into.
  const std::string lonely = dir_->file("lonely.h5");
  train::test::write_tiny_world(lonely, 1);
  train::TrainRequest single = request(dir_->file("lonely.model.h5"), {});
  single.frames_path = lonely;
  try {
    train::run_training(single);
    FAIL() << "trained without neighbour keyframes";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("neighbour"), std::string::npos) << error.what();
  }
  EXPECT_FALSE(std::filesystem::exists(single.output_path));
}

TEST_F(LetOccFlowTraining, StageTwoWithoutFlowLabelsIsAUsageErrorBeforeAnyWork) {
  const std::string output = dir_->file("never.model.h5");
  try {
    train::run_training(request(output, {"model.stage=2"}));
    FAIL() << "stage 2 trained without --flow";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("--flow"), std::string::npos) << error.what();
  }
  EXPECT_FALSE(std::filesystem::exists(output));
}

TEST(LetOccFlowModel, PredictionThresholdsTheSdfFreesTheBorderAndGivesFlowInMetresPerSecond) {
  GridSpec grid;
  grid.shape = {10, 8, 2};
  grid.voxel_size_m = {1.0, 1.0, 1.0};
  grid.origin_m = {-5.0, -4.0, 0.0};
  nlohmann::json run{{"model", letoccflow_default_config("demo", grid)}};
  for (const std::string& setting : letoccflow_tiny_settings()) apply_assignment(run, setting);
  apply_assignment(run, "model.stage=2");
  apply_assignment(run, "model.free_border_voxels=2");
  apply_assignment(run, "model.keyframe_interval_s=0.25");
  const LetOccFlowConfig config = LetOccFlowConfig::from_json(run.at("model"));
  LetOccFlowModel model(config, grid);
  const auto& v = model.box().vertex_shape;
  ModelOutput output;
  // Occupied (sdf -1) for x < 0, free (sdf 1) beyond; 0.5 m along x per step.
  const at::Tensor x = at::arange(v[0], at::kFloat) * model.box().voxel_size_m[0] + model.box().origin_m[0];
  output.extras["sdf"] =
      at::where(x < 0, -1.0, 1.0).view({1, 1, v[0], 1, 1}).expand({1, 1, v[0], v[1], v[2]});
  output.extras["flow"] =
      at::stack({at::full({v[0], v[1], v[2]}, 0.5), at::zeros({v[0], v[1], v[2]})}).unsqueeze(0);
  Batch batch;
  batch.frames = {0};
  const Prediction prediction = model.predict(output, batch, PredictionRequest{});
  ASSERT_EQ(prediction.semantics.sizes(), (at::IntArrayRef{1, 10, 8, 2}));
  EXPECT_EQ(prediction.semantics[0][3][4][0].item<int>(), 0);                // x -1.5: occupied
  EXPECT_EQ(prediction.semantics[0][6][4][0].item<int>(), grid.free_class);  // x 1.5: free
  EXPECT_EQ(prediction.semantics[0][1][4][0].item<int>(), grid.free_class);  // border in x
  EXPECT_EQ(prediction.semantics[0][3][1][1].item<int>(), grid.free_class);  // border in y
  EXPECT_NEAR(prediction.sdf[0][3][4][0].item<float>(), -1.0f, 1e-5);
  ASSERT_EQ(prediction.flow.sizes(), (at::IntArrayRef{1, 10, 8, 2, 2}));
  EXPECT_NEAR(prediction.flow[0][5][5][1][0].item<float>(), 2.0f, 1e-5);  // 0.5 m per 0.25 s
  EXPECT_NEAR(prediction.flow[0][5][5][1][1].item<float>(), 0.0f, 1e-6);
  EXPECT_FALSE(prediction.depth.defined());
}

// Parameters per top-level module of a size, printed for docs/letoccflow.md.
int64_t print_parameter_counts(const std::string& size, LetOccFlowModel& model) {
  int64_t total = 0;
  for (const auto& child : model.named_children()) {
    const int64_t count = parameter_count(*child.value());
    total += count;
    std::printf("letoccflow %-5s %-10s %10lld\n", size.c_str(), child.key().c_str(),
                static_cast<long long>(count));
  }
  std::printf("letoccflow %-5s %-10s %10lld\n", size.c_str(), "total", static_cast<long long>(total));
  return total;
}

TEST(LetOccFlowModel, EverySizeBuildsWithItsParameterCounts) {
  // Base: the paper's nuScenes sizes on the Occ3D grid; the counts are quoted
  // in docs/letoccflow.md.
  for (const std::string& size : letoccflow_sizes()) {
    SCOPED_TRACE(size);
    const LetOccFlowConfig config =
        LetOccFlowConfig::from_json(letoccflow_default_config(size, occ3d_grid()));
    LetOccFlowModel model(config, occ3d_grid());
    EXPECT_EQ(print_parameter_counts(size, model), parameter_count(model));
    if (size == "base") {
      EXPECT_EQ(model.box().vertex_shape, (std::array<int64_t, 3>{201, 201, 21}));
      // torchvision's ConvNeXt-B without its classifier (87,564,416) + the
      // four output LayerNorms (2 x (128 + 256 + 512 + 1024)).
      EXPECT_EQ(parameter_count(*model.backbone), 87564416 + 3840);
    }
    if (size == "small") {
      EXPECT_EQ(parameter_count(*model.backbone), 23508032);  // torchvision ResNet-50 without its fc layer
    }
  }
}

}  // namespace
}  // namespace occ::models
