// The baseline with history frames: temporal fusion and temporal
// self-attention end to end on a tiny configuration.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "models/baseline/baseline_model.h"
#include "models/registry.h"

namespace occ::models {
namespace {

using nlohmann::json;
constexpr double kPi = 3.14159265358979323846;

GridSpec tiny_grid() {
  GridSpec grid;
  grid.shape = {16, 16, 4};
  grid.origin_m = {-8.0, -8.0, -1.0};
  grid.voxel_size_m = {1.0, 1.0, 1.0};
  return grid;
}

// The demo preset shrunk in width: query volume 4 x 4 x 2.
json tiny_config(int history_frames) {
  json config = baseline_default_config("demo", tiny_grid());
  config["embed_dims"] = 16;
  config["num_heads"] = 2;
  config["num_points"] = 2;
  config["ffn_dims"] = 16;
  config["classifier_hidden"] = 8;
  config["decoder_channels"] = {4, 4};
  config["history_frames"] = history_frames;
  return config;
}

// Two cameras at 1 m height looking forward and backward, 90 degree field of
// view; history fields absent.
Batch current_frame(int64_t frames) {
  constexpr int64_t kCameras = 2, kHeight = 32, kWidth = 48;
  Batch batch;
  batch.images = at::randn({frames, kCameras, 3, kHeight, kWidth});
  const double focal = kWidth / 2.0;
  const at::Tensor k =
      at::tensor({focal, 0.0, focal, 0.0, focal, kHeight / 2.0, 0.0, 0.0, 1.0}, at::kDouble).view({3, 3});
  std::vector<at::Tensor> poses;
  for (int64_t n = 0; n < kCameras; ++n) {
    const double yaw = kPi * static_cast<double>(n), c = std::cos(yaw), s = std::sin(yaw);
    poses.push_back(
        at::tensor({s, 0.0, c, 0.0, -c, 0.0, s, 0.0, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0}, at::kDouble)
            .view({4, 4}));
  }
  batch.intrinsics = k.to(at::kFloat).expand({frames, kCameras, 3, 3}).contiguous();
  batch.ego_from_camera = at::stack(poses).to(at::kFloat).expand({frames, kCameras, 4, 4}).contiguous();
  const auto [nx, ny, nz] = tiny_grid().shape;
  batch.semantics = at::randint(0, 18, {frames, nx, ny, nz}, at::kLong);
  batch.mask_camera = at::ones({frames, nx, ny, nz});
  for (int64_t i = 0; i < frames; ++i) batch.frames.push_back(i);
  return batch;
}

// Adds T history frames with their own random images, the current cameras,
// the identity ego motion and `valid` for every entry.
Batch with_history(Batch batch, int64_t frames, bool valid) {
  const int64_t b = batch.images.size(0);
  std::vector<int64_t> image_shape{b, frames};
  for (int64_t d = 1; d < 5; ++d) image_shape.push_back(batch.images.size(d));
  batch.history_images = at::randn(image_shape);
  batch.history_intrinsics = batch.intrinsics.unsqueeze(1).expand({b, frames, -1, -1, -1}).contiguous();
  batch.history_ego_from_camera =
      batch.ego_from_camera.unsqueeze(1).expand({b, frames, -1, -1, -1}).contiguous();
  batch.history_from_current = at::eye(4).expand({b, frames, 4, 4}).contiguous();
  batch.history_valid = at::full({b, frames}, valid, at::kBool);
  return batch;
}

std::shared_ptr<OccupancyModel> create(const json& config) {
  return find_model_kind("baseline").create(config, tiny_grid());
}

TEST(BaselineTemporal, TwoHistoryFramesPredictTheGridAndChangeTheOutput) {
  torch::NoGradGuard no_grad;
  const auto model = create(tiny_config(2));
  model->eval();
  const Batch batch = with_history(current_frame(1), 2, true);
  const at::Tensor logits = model->forward(batch).logits;
  EXPECT_EQ(logits.sizes().vec(), (std::vector<int64_t>{1, 18, 16, 16, 4}));
  Batch other = batch;
  other.history_images = at::randn(batch.history_images.sizes());
  EXPECT_FALSE(at::allclose(model->forward(other).logits, logits));
  // A history frame seen from 2 m further back is another input too.
  Batch moved = batch;
  moved.history_from_current = batch.history_from_current.clone();
  moved.history_from_current.select(3, 3).select(2, 0).fill_(2.0);
  EXPECT_FALSE(at::allclose(model->forward(moved).logits, logits));
}

// CHOSEN: an entry without an earlier keyframe holds the current volume. In
// eval mode that is exactly what a valid entry repeating the current frame
// with the identity motion (the loader's filler) would give.
TEST(BaselineTemporal, InvalidEntriesUseTheCurrentVolume) {
  torch::NoGradGuard no_grad;
  const auto model = create(tiny_config(2));
  model->eval();
  const Batch invalid = with_history(current_frame(2), 2, false);
  Batch repeated = invalid;
  repeated.history_images = invalid.images.unsqueeze(1).expand(invalid.history_images.sizes()).contiguous();
  repeated.history_valid = at::ones({2, 2}, at::kBool);
  const at::Tensor expected = model->forward(repeated).logits;
  EXPECT_TRUE(at::allclose(model->forward(invalid).logits, expected, 1e-4, 1e-5));
  // Per entry: frame 1 valid with other images changes frame 1 only.
  Batch mixed = invalid;
  mixed.history_valid = at::tensor({0, 0, 1, 0}).to(at::kBool).view({2, 2});
  const at::Tensor logits = model->forward(mixed).logits;
  EXPECT_TRUE(at::allclose(logits[0], expected[0], 1e-4, 1e-5));
  EXPECT_FALSE(at::allclose(logits[1], expected[1], 1e-4, 1e-5));
}

TEST(BaselineTemporal, HistoryGetsNoGradientAndTrainingModeIsRestored) {
  json config = tiny_config(2);
  config["dropout"] = 0.5;
  const auto model = create(config);
  model->train();
  Batch batch = with_history(current_frame(1), 2, true);
  batch.images.set_requires_grad(true);
  batch.history_images.set_requires_grad(true);
  at::Tensor total = at::zeros({});
  for (const auto& term : model->losses(model->forward(batch), batch)) total = total + term.second;
  total.backward();
  EXPECT_GT(batch.images.grad().abs().sum().item<double>(), 0.0);
  EXPECT_FALSE(batch.history_images.grad().defined());
  for (const auto& item : model->named_parameters())
    if (item.key().rfind("temporal_fusion.", 0) == 0) {
      ASSERT_TRUE(item.value().grad().defined()) << item.key();
      EXPECT_GT(item.value().grad().abs().sum().item<double>(), 0.0) << item.key();
    }
  // The history ran in eval mode; training mode is back everywhere it was.
  for (const auto& module : model->modules(/*include_self=*/true))
    if (module->as<torch::nn::Dropout>()) {
      EXPECT_TRUE(module->is_training());
    }
  auto& baseline = dynamic_cast<BaselineModel&>(*model);
  EXPECT_TRUE(baseline.encoder->is_training());
  EXPECT_TRUE(baseline.neck->is_training());
  EXPECT_TRUE(baseline.backbone->is_training());
}

TEST(BaselineTemporal, ABatchWithoutHistoryIsAUsageError) {
  const auto model = create(tiny_config(2));
  try {
    model->forward(current_frame(1));
    FAIL() << "no error";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("model.history_frames is 2 but the batch carries no history"),
              std::string::npos)
        << error.what();
  }
  EXPECT_THROW(model->forward(with_history(current_frame(1), 3, true)), UsageError);
}

// history_frames 0: no new module, and history in the batch is ignored.
TEST(BaselineTemporal, WithoutHistoryFramesTheModelIgnoresHistory) {
  torch::NoGradGuard no_grad;
  const auto model = create(tiny_config(0));
  model->eval();
  for (const auto& item : model->named_parameters())
    EXPECT_EQ(item.key().find("temporal"), std::string::npos);
  const Batch batch = current_frame(1);
  EXPECT_TRUE(at::equal(model->forward(batch).logits, model->forward(with_history(batch, 2, true)).logits));
}

TEST(BaselineTemporal, TemporalSelfAttentionReadsTheNearestHistoryFrame) {
  json config = tiny_config(2);
  config["self_attention"] = true;
  config["temporal_self_attention"] = true;
  config["temporal_fusion"] = false;
  const auto model = create(config);
  bool found = false;
  for (const auto& item : model->named_parameters()) {
    EXPECT_EQ(item.key().find("temporal_fusion"), std::string::npos) << item.key();
    EXPECT_EQ(item.key().find(".self_attention."), std::string::npos) << item.key();
    found =
        found || item.key().find("layers.0.temporal_self_attention.sampling_offsets") != std::string::npos;
  }
  EXPECT_TRUE(found);
  {
    // As in baseline_model_test: leave Deformable DETR's zero init so the
    // attention depends on what it reads.
    torch::NoGradGuard no_grad;
    for (auto& item : model->named_parameters())
      if (item.key().find("attention_weights.weight") != std::string::npos) item.value().normal_(0.0, 0.05);
  }
  model->eval();
  const Batch batch = with_history(current_frame(1), 2, true);
  Batch invalid = batch;
  invalid.history_valid = at::zeros({1, 2}, at::kBool);
  // Without the fusion block the second frame is not read at all.
  Batch farther = batch;
  farther.history_images = batch.history_images.clone();
  farther.history_images.select(1, 1).normal_();
  at::Tensor logits;
  {
    torch::NoGradGuard no_grad;
    logits = model->forward(batch).logits;
    EXPECT_EQ(logits.sizes().vec(), (std::vector<int64_t>{1, 18, 16, 16, 4}));
    EXPECT_FALSE(at::allclose(model->forward(invalid).logits, logits));
    EXPECT_TRUE(at::equal(model->forward(farther).logits, logits));
  }
  model->train();
  at::Tensor total = at::zeros({});
  for (const auto& term : model->losses(model->forward(batch), batch)) total = total + term.second;
  total.backward();
  for (const auto& item : model->named_parameters())
    if (item.key().find("temporal_self_attention") != std::string::npos) {
      ASSERT_TRUE(item.value().grad().defined()) << item.key();
      EXPECT_GT(item.value().grad().abs().sum().item<double>(), 0.0) << item.key();
    }
}

TEST(BaselineTemporal, RegistryAsksTheLoaderForTheConfiguredHistory) {
  json config = tiny_config(3);
  config["history_stride"] = 2;
  const ModelInputs inputs = find_model_kind("baseline").inputs(config);
  EXPECT_EQ(inputs.history_frames, 3);
  EXPECT_EQ(inputs.history_stride, 2);
  EXPECT_EQ(find_model_kind("baseline").inputs(tiny_config(0)).history_frames, 0);
}

}  // namespace
}  // namespace occ::models
