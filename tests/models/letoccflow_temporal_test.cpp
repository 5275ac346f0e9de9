// Let Occ Flow's network completion (models/letoccflow/): the temporal
// deformable attention against single-map attentions built from the shared
// reference kernel, every temporal mode's shapes, gradients and known answer
// at beta = 0, the 3D ResNet + FPN3D + occupancy decoder, and the model's
// use of history frames (and what it does at a scene start) and of camera
// embeddings.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/init.h>

#include <string>
#include <vector>

#include "core/config_tree.h"
#include "core/error.h"
#include "models/letoccflow/letoccflow_config.h"
#include "models/letoccflow/letoccflow_model.h"
#include "models/letoccflow/temporal_bev_attention.h"
#include "models/letoccflow/temporal_volume_fusion.h"
#include "models/letoccflow/volume_decoder.h"
#include "models/registry.h"
#include "nn/deformable_attention.h"
#include "support/temp_dir.h"
#include "train/data_loader.h"
#include "train/model_file.h"
#include "train/run_config.h"
#include "train/trainer_test_frames.h"

namespace occ::models {
namespace {

// Moves every parameter away from its (partly zero) initialisation.
void randomise(torch::nn::Module& module, double scale) {
  torch::NoGradGuard no_grad;
  for (auto& parameter : module.parameters()) parameter.normal_(0.0, scale);
}

TEST(LetOccFlowTemporalAttention, IsTheMeanOfTwoSingleMapAttentions) {
  at::manual_seed(3);
  TemporalBevAttentionOptions options;
  options.embed_dims = 8;
  options.num_heads = 2;
  options.num_points = 3;
  TemporalBevAttention attention(options);
  randomise(*attention, 0.3);
  const int64_t rows = 4, cols = 5, cells = rows * cols, n = 2, heads = 2, points = 3, c = 8;
  const at::Tensor query = at::randn({n, cells, c}, at::kDouble);
  const at::Tensor other = at::randn({n, cells, c}, at::kDouble);
  attention->to(at::kDouble);
  const at::Tensor fused = attention->forward(query, other, rows, cols);

  // By hand: one single-level attention per map with the reference kernel,
  // softmax over that map's points, the mean of both.
  const at::Tensor joint = at::cat({other, query}, -1);
  const at::Tensor offsets =
      attention->sampling_offsets->forward(joint).view({n, cells, heads, 2, points, 2});
  const at::Tensor logits = attention->attention_weights->forward(joint).view({n, cells, heads, 2, points});
  const nn::LevelLayout layout = nn::make_level_layout({{rows, cols}});
  const at::Tensor reference = bev_reference_points(rows, cols, query.options()).view({1, cells, 1, 1, 1, 2});
  const at::Tensor normaliser = at::tensor({double(cols), double(rows)}, at::kDouble);
  at::Tensor mean = at::zeros({n, cells, c}, at::kDouble);
  const std::vector<at::Tensor> maps{other, query};
  for (int64_t m = 0; m < 2; ++m) {
    const at::Tensor value =
        attention->value_proj->forward(maps[static_cast<size_t>(m)]).view({n, cells, heads, c / heads});
    const at::Tensor locations = reference + offsets.narrow(3, m, 1) / normaliser;
    const at::Tensor weights = logits.narrow(3, m, 1).softmax(-1);
    mean = mean + 0.5 * nn::msda_reference(value, layout.spatial_shapes, layout.level_start_index, locations,
                                           weights);
  }
  const at::Tensor expected = query + attention->beta * attention->output_proj->forward(mean);
  EXPECT_TRUE(at::allclose(fused, expected, 1e-9, 1e-9)) << (fused - expected).abs().max().item<double>();
}

TemporalVolumeFusion fusion_of(TemporalMode mode) {
  TemporalVolumeFusionOptions options;
  options.mode = mode;
  options.embed_dims = 8;
  options.history_frames = 2;
  options.num_heads = 2;
  options.num_points = 2;
  return TemporalVolumeFusion(options);
}

TEST(LetOccFlowTemporalFusion, EveryModeKeepsTheShapeAndPassesGradients) {
  for (const TemporalMode mode :
       {TemporalMode::concat_conv, TemporalMode::bev_forward, TemporalMode::backward_forward}) {
    SCOPED_TRACE(temporal_mode_name(mode));
    at::manual_seed(1);
    TemporalVolumeFusion fusion = fusion_of(mode);
    randomise(*fusion, 0.2);
    const at::Tensor current = at::randn({2, 8, 5, 4, 3}).requires_grad_(true);
    const at::Tensor history = at::randn({2, 2, 8, 5, 4, 3});
    const at::Tensor out = fusion->forward(current, history);
    ASSERT_EQ(out.sizes(), current.sizes());
    out.pow(2).sum().backward();
    ASSERT_TRUE(current.grad().defined());
    EXPECT_GT(current.grad().abs().sum().item<double>(), 0.0);
    for (const auto& parameter : fusion->named_parameters()) {
      ASSERT_TRUE(parameter.value().grad().defined()) << parameter.key();
      EXPECT_TRUE(parameter.value().grad().isfinite().all().item<bool>()) << parameter.key();
    }
    // The history reaches the output (another draw: a constant shift would
    // vanish in concat_conv's batch norm).
    const at::Tensor again = fusion->forward(current.detach(), at::randn_like(history));
    EXPECT_GT((again - out.detach()).abs().max().item<double>(), 1e-4);
    // A history of the wrong length is a usage error.
    EXPECT_THROW(fusion->forward(current, history.narrow(1, 0, 1)), UsageError);
  }
}

TEST(LetOccFlowTemporalFusion, WithBetaZeroTheAttentionsPassTheirQueriesThrough) {
  at::manual_seed(2);
  const at::Tensor current = at::randn({1, 8, 3, 4, 2});
  const at::Tensor history = at::randn({1, 2, 8, 3, 4, 2});
  const at::Tensor pooled = current.mean(-1, true);
  for (const TemporalMode mode : {TemporalMode::bev_forward, TemporalMode::backward_forward}) {
    SCOPED_TRACE(temporal_mode_name(mode));
    TemporalVolumeFusion fusion = fusion_of(mode);
    {
      torch::NoGradGuard no_grad;
      for (auto& parameter : fusion->named_parameters())
        if (parameter.key().find("beta") != std::string::npos) parameter.value().zero_();
    }
    const at::Tensor out = fusion->forward(current, history);
    // bev_forward: V + mean_z(V); backward_forward: V + sigmoid(conv1x1(V)) * mean_z(V).
    const at::Tensor expected = mode == TemporalMode::bev_forward
                                    ? current + pooled
                                    : current + at::sigmoid(fusion->combine->forward(current)) * pooled;
    EXPECT_TRUE(at::allclose(out, expected, 1e-5, 1e-6)) << (out - expected).abs().max().item<double>();
  }
}

TEST(LetOccFlowVolumeDecoder, ResNet3dFpn3dAndTheOccupancyDecoderDoubleTheResolution) {
  at::manual_seed(4);
  Resnet3d resnet(8, std::vector<int64_t>{1, 2, 4});
  EXPECT_EQ(resnet->stage_channels(), (std::vector<int64_t>{8, 16, 32}));
  Fpn3d fpn(resnet->stage_channels(), 8);
  OccDecoder decoder(8, 3, 6);
  const at::Tensor volume = at::randn({1, 8, 6, 6, 4}).requires_grad_(true);
  const std::vector<at::Tensor> stages = resnet->forward(volume);
  ASSERT_EQ(stages.size(), 3u);
  EXPECT_EQ(stages[1].sizes(), (at::IntArrayRef{1, 16, 3, 3, 2}));
  EXPECT_EQ(stages[2].sizes(), (at::IntArrayRef{1, 32, 2, 2, 1}));
  const std::vector<at::Tensor> levels = fpn->forward(stages);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(levels[i].size(1), 8) << i;
  EXPECT_EQ(levels[2].sizes().slice(2), stages[2].sizes().slice(2));
  const at::Tensor out = decoder->forward(levels);
  ASSERT_EQ(out.sizes(), (at::IntArrayRef{1, 6, 12, 12, 8}));
  out.sum().backward();
  EXPECT_GT(volume.grad().abs().sum().item<double>(), 0.0);
  for (torch::nn::Module* module :
       {static_cast<torch::nn::Module*>(resnet.get()), static_cast<torch::nn::Module*>(fpn.get()),
        static_cast<torch::nn::Module*>(decoder.get())})
    for (const auto& parameter : module->named_parameters())
      EXPECT_TRUE(parameter.value().grad().defined()) << parameter.key();
  // Level weights are a softmax: equal level maps come out unchanged.
  torch::NoGradGuard no_grad;
  decoder->eval();
  const at::Tensor weights =
      at::softmax(decoder->level_weights->forward(decoder->deblock->forward(levels[0])), 1);
  EXPECT_TRUE(at::allclose(weights.sum(1), at::ones_like(weights.sum(1))));
}

class LetOccFlowHistory : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new occ::test::TempDir();
    frames_ = dir_->file("world.h5");
    train::test::write_tiny_world(frames_, 3);
  }
  static void TearDownTestSuite() { delete dir_; }

  // The demo preset with the tiny settings and `extra`, on the tiny world.
  static nlohmann::json config(const std::vector<std::string>& extra) {
    train::ConfigRequest request;
    request.model_kind = "letoccflow";
    request.size = "demo";
    request.assignments = letoccflow_tiny_settings();
    for (const std::string& setting : extra) request.assignments.push_back(setting);
    return train::resolve_run_config(request, train::grid_of_frames_file(frames_)).at("model");
  }

  // Keyframe `frame` as the model kind's inference batch.
  static Batch batch_of(const nlohmann::json& model_config, int frame) {
    train::LoaderOptions options = train::LoaderOptions::single_pass(1);
    options.ask_for(find_model_kind("letoccflow").inputs(model_config), /*training=*/false);
    train::BatchLoader loader(frames_, {frame}, train::ImageOptions{}, options);
    return *loader.next();
  }

  static occ::test::TempDir* dir_;
  static std::string frames_;
};

occ::test::TempDir* LetOccFlowHistory::dir_ = nullptr;
std::string LetOccFlowHistory::frames_;

TEST_F(LetOccFlowHistory, HistoryFramesChangeTheOutputAndAtASceneStartTheCurrentFrameStandsIn) {
  for (const std::string mode : {"backward_forward", "bev_forward", "concat_conv"}) {
    SCOPED_TRACE(mode);
    const nlohmann::json model_config = config({"model.temporal=" + mode, "model.temporal_frames=2"});
    EXPECT_EQ(find_model_kind("letoccflow").inputs(model_config).history_frames, 2);
    at::manual_seed(5);
    const auto model =
        find_model_kind("letoccflow").create(model_config, train::grid_of_frames_file(frames_));
    model->eval();
    torch::NoGradGuard no_grad;
    const Batch batch = batch_of(model_config, 2);
    ASSERT_TRUE(batch.history_valid.all().item<bool>());  // frame 2: both earlier keyframes
    const at::Tensor with_history = model->forward(batch).extras.at("sdf");

    // A scene start: no earlier keyframe.
    Batch start = batch;
    start.history_valid = at::zeros_like(batch.history_valid);
    const at::Tensor without = model->forward(start).extras.at("sdf");
    EXPECT_GT((with_history - without).abs().max().item<double>(), 1e-5);

    // ... is the same as history that repeats the current frame in place.
    Batch repeated = batch;
    repeated.history_images = batch.images.unsqueeze(1).expand_as(batch.history_images).contiguous();
    repeated.history_intrinsics =
        batch.intrinsics.unsqueeze(1).expand_as(batch.history_intrinsics).contiguous();
    repeated.history_ego_from_camera =
        current_ego_from_camera(batch).unsqueeze(1).expand_as(batch.history_ego_from_camera).contiguous();
    repeated.history_from_current = at::eye(4).expand_as(batch.history_from_current).contiguous();
    const at::Tensor same = model->forward(repeated).extras.at("sdf");
    EXPECT_TRUE(at::allclose(same, without, 1e-4, 1e-5)) << (same - without).abs().max().item<double>();
  }
}

TEST_F(LetOccFlowHistory, WithoutTemporalFusionNoHistoryIsRead) {
  const nlohmann::json model_config = config({"model.temporal=none", "model.refine=conv_blocks"});
  EXPECT_EQ(find_model_kind("letoccflow").inputs(model_config).history_frames, 0);
  const auto model = find_model_kind("letoccflow").create(model_config, train::grid_of_frames_file(frames_));
  const Batch batch = batch_of(model_config, 1);
  EXPECT_FALSE(batch.history_images.defined());
  EXPECT_EQ(model->forward(batch).extras.at("sdf").dim(), 5);
}

TEST_F(LetOccFlowHistory, A3dResNetThatShrinksTheTpvToOneVoxelIsAUsageError) {
  // TPV 4x4x2 -> 2x2x1 -> 1x1x1: batch norm cannot train on one voxel.
  const nlohmann::json model_config = config({"model.refine_blocks=[1, 1, 1]"});
  try {
    find_model_kind("letoccflow").create(model_config, train::grid_of_frames_file(frames_));
    FAIL() << "built a 3D ResNet down to one voxel";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("model.refine_blocks"), std::string::npos) << error.what();
  }
}

TEST_F(LetOccFlowHistory, CameraEmbeddingsNeedTheirCameraCount) {
  const Batch probe = batch_of(config({}), 0);
  const int64_t cameras = probe.images.size(1);
  const nlohmann::json model_config = config({"model.camera_embeddings=" + std::to_string(cameras)});
  const auto model = find_model_kind("letoccflow").create(model_config, train::grid_of_frames_file(frames_));
  EXPECT_TRUE(model->named_parameters().contains("encoder.camera_embeds"));
  const Batch batch = batch_of(model_config, 0);
  EXPECT_EQ(model->forward(batch).extras.at("sdf").dim(), 5);

  const nlohmann::json wrong = config({"model.camera_embeddings=" + std::to_string(cameras + 1)});
  const auto other = find_model_kind("letoccflow").create(wrong, train::grid_of_frames_file(frames_));
  try {
    other->forward(batch_of(wrong, 0));
    FAIL() << "ran with the wrong camera count";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("model.camera_embeddings"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace occ::models
