// Baseline configuration: presets, parsing errors, and the model registry.
#include "models/baseline/baseline_config.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "models/registry.h"

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

TEST(BaselineConfig, PresetsFollowPanoOccOnOcc3D) {
  const GridSpec occ3d;
  for (const std::string size : {"base", "small", "tiny"}) {
    const BaselineConfig config = BaselineConfig::from_json(baseline_default_config(size, occ3d));
    EXPECT_EQ(config.backbone_depth, 50) << size;
    EXPECT_EQ(config.backbone_out_indices, (std::vector<int>{0, 1, 2, 3}));
    EXPECT_EQ(config.backbone_frozen_stages, 1);
    EXPECT_TRUE(config.backbone_norm_eval);
    EXPECT_EQ(config.embed_dims, 256);
    EXPECT_EQ(config.num_heads, 8);
    EXPECT_EQ(config.num_points, 8);
    EXPECT_EQ(config.num_levels, 5);
    EXPECT_EQ(config.encoder_layers, 3);
    EXPECT_EQ(config.ffn_dims, 512);
    EXPECT_DOUBLE_EQ(config.dropout, 0.1);
    EXPECT_TRUE(config.self_attention);
    EXPECT_EQ(config.classifier_hidden, 128);
    EXPECT_DOUBLE_EQ(config.loss_ce_weight, 10.0);
    EXPECT_DOUBLE_EQ(config.loss_lovasz_weight, 1.0);
    EXPECT_DOUBLE_EQ(config.loss_focal_weight, 2.0);
    EXPECT_TRUE(config.loss_lovasz_mask_camera);
    EXPECT_DOUBLE_EQ(config.occupancy_threshold, 0.05);
    EXPECT_DOUBLE_EQ(config.backbone_lr_multiplier, 0.1);
  }
  const auto shape = [&](const std::string& size, const GridSpec& grid) {
    return BaselineConfig::from_json(baseline_default_config(size, grid)).query_shape;
  };
  const auto channels = [&](const std::string& size) {
    return BaselineConfig::from_json(baseline_default_config(size, occ3d)).decoder_channels;
  };
  EXPECT_EQ(shape("base", occ3d), (std::array<int64_t, 3>{100, 100, 16}));
  EXPECT_EQ(shape("small", occ3d), (std::array<int64_t, 3>{50, 50, 16}));
  EXPECT_EQ(shape("tiny", occ3d), (std::array<int64_t, 3>{50, 50, 4}));
  EXPECT_EQ(shape("demo", occ3d), (std::array<int64_t, 3>{50, 50, 8}));
  EXPECT_EQ(channels("base"), (std::vector<int64_t>{32}));
  EXPECT_EQ(channels("small"), (std::vector<int64_t>{256, 32}));
  EXPECT_EQ(channels("tiny"), (std::vector<int64_t>{256, 32}));
  EXPECT_EQ(channels("demo"), (std::vector<int64_t>{32, 16}));

  GridSpec kitti;
  kitti.shape = {256, 256, 32};
  EXPECT_EQ(shape("base", kitti), (std::array<int64_t, 3>{128, 128, 16}));
  EXPECT_EQ(shape("small", kitti), (std::array<int64_t, 3>{64, 64, 8}));
  GridSpec other;
  other.shape = {64, 32, 8};
  EXPECT_EQ(shape("base", other), (std::array<int64_t, 3>{32, 16, 8}));
  EXPECT_EQ(shape("tiny", other), (std::array<int64_t, 3>{16, 8, 2}));
}

TEST(BaselineConfig, DemoIsSmallEnoughForACpu) {
  const BaselineConfig demo = BaselineConfig::from_json(baseline_default_config("demo", GridSpec{}));
  EXPECT_EQ(demo.backbone_depth, 18);
  EXPECT_EQ(demo.backbone_out_indices, (std::vector<int>{1, 2}));
  EXPECT_EQ(demo.embed_dims, 64);
  EXPECT_EQ(demo.num_heads, 4);
  EXPECT_EQ(demo.num_points, 4);
  EXPECT_EQ(demo.num_levels, 2);
  EXPECT_EQ(demo.encoder_layers, 1);
  EXPECT_EQ(demo.ffn_dims, 128);
  EXPECT_FALSE(demo.self_attention);
  EXPECT_EQ(demo.classifier_hidden, 32);
}

TEST(BaselineConfig, RoundTripsThroughJson) {
  const json config = baseline_default_config("small", GridSpec{});
  EXPECT_EQ(BaselineConfig::from_json(config).to_json(), config);
  // 28 + backbone, backbone_drop_path, backbone_norm_out + image_pretraining, decoder_upsampling
  // + loss_ce_class_weighting
  EXPECT_EQ(config.size(), 34u);
  EXPECT_EQ(config.at("loss_ce_class_weighting"), "none");   // PanoOcc's CE has no class weights
  EXPECT_EQ(config.at("loss_image_semantics_weight"), 0.0);  // off unless a recipe sets it
  EXPECT_EQ(config.at("image_pretraining"), false);
  EXPECT_EQ(config.at("decoder_upsampling"), "deconv");  // PanoOcc's
}

// Temporal keys: off in every preset (PanoOcc uses 3 frames 4 apart).
TEST(BaselineConfig, TemporalKeysDefaultOffAndRoundTrip) {
  for (const std::string& size : baseline_sizes()) {
    const BaselineConfig preset = BaselineConfig::from_json(baseline_default_config(size, GridSpec{}));
    EXPECT_EQ(preset.history_frames, 0) << size;
    EXPECT_EQ(preset.history_stride, 4) << size;
    EXPECT_TRUE(preset.temporal_fusion) << size;
    EXPECT_FALSE(preset.temporal_self_attention) << size;
  }
  json config = baseline_default_config("small", GridSpec{});
  config["history_frames"] = 3;
  config["history_stride"] = 2;
  config["temporal_self_attention"] = true;
  const BaselineConfig parsed = BaselineConfig::from_json(config);
  EXPECT_EQ(parsed.history_frames, 3);
  EXPECT_EQ(parsed.history_stride, 2);
  EXPECT_TRUE(parsed.temporal_self_attention);
  EXPECT_EQ(parsed.to_json(), config);
}

TEST(BaselineConfig, BadTemporalValuesAreNamed) {
  const json config = baseline_default_config("small", GridSpec{});
  const auto with = [&](const json& changes) {
    json changed = config;
    changed.update(changes);
    return usage_error(changed);
  };
  EXPECT_EQ(with({{"history_frames", -1}}), "'model.history_frames' must be at least 0, got -1");
  EXPECT_EQ(with({{"history_frames", "3"}}), "'model.history_frames' must be an integer, got \"3\"");
  EXPECT_NE(with({{"history_frames", 17}}).find("'model.history_frames' must be at most 16"),
            std::string::npos);
  EXPECT_EQ(with({{"history_stride", 0}}), "'model.history_stride' must be at least 1, got 0");
  EXPECT_EQ(with({{"temporal_fusion", 1}}), "'model.temporal_fusion' must be true or false, got 1");
  EXPECT_EQ(with({{"temporal_self_attention", "yes"}}),
            "'model.temporal_self_attention' must be true or false, got \"yes\"");
  EXPECT_NE(with({{"temporal_self_attention", true}}).find("needs history"), std::string::npos);
  EXPECT_NE(with({{"history_frames", 2}, {"temporal_self_attention", true}, {"self_attention", false}})
                .find("'model.temporal_self_attention' replaces the self-attention"),
            std::string::npos);
  EXPECT_NE(with({{"history_frames", 2}, {"temporal_fusion", false}})
                .find("'model.history_frames' is 2 but neither"),
            std::string::npos);
  json missing = config;
  missing.erase("history_stride");
  EXPECT_EQ(usage_error(missing), "model configuration lacks 'model.history_stride'");
}

TEST(BaselineConfig, BadKeysAreNamed) {
  json config = baseline_default_config("small", GridSpec{});
  json unknown = config;
  unknown["embed_dim"] = 128;
  EXPECT_EQ(usage_error(unknown), "unknown model configuration key 'model.embed_dim'");
  json mistyped = config;
  mistyped["embed_dims"] = "256";
  EXPECT_EQ(usage_error(mistyped), "'model.embed_dims' must be an integer, got \"256\"");
  json fractional = config;
  fractional["num_heads"] = 8.5;
  EXPECT_NE(usage_error(fractional).find("'model.num_heads' must be an integer"), std::string::npos);
  json flag = config;
  flag["self_attention"] = 1;
  EXPECT_EQ(usage_error(flag), "'model.self_attention' must be true or false, got 1");
  json missing = config;
  missing.erase("ffn_dims");
  EXPECT_EQ(usage_error(missing), "model configuration lacks 'model.ffn_dims'");
  json shape = config;
  shape["query_shape"] = {50, 50};
  EXPECT_NE(usage_error(shape).find("'model.query_shape' must be [X, Y, Z]"), std::string::npos);
  json heads = config;
  heads["num_heads"] = 7;
  EXPECT_NE(usage_error(heads).find("not divisible by 'model.num_heads'"), std::string::npos);
  json depth = config;
  depth["backbone_depth"] = 152;
  EXPECT_NE(usage_error(depth).find("'model.backbone_depth' must be 18, 34, 50 or 101"), std::string::npos);
  json dropout = config;
  dropout["dropout"] = 1.5;
  EXPECT_NE(usage_error(dropout).find("'model.dropout' must lie in"), std::string::npos);
  json levels = config;
  levels["num_levels"] = 3;
  EXPECT_NE(usage_error(levels).find("'model.num_levels'"), std::string::npos);
  json upsampling = config;
  upsampling["decoder_upsampling"] = "nearest";
  EXPECT_EQ(usage_error(upsampling),
            "'model.decoder_upsampling' must be \"deconv\" or \"trilinear\", got \"nearest\"");
  json weighting = config;
  weighting["loss_ce_class_weighting"] = "median";
  EXPECT_EQ(usage_error(weighting),
            "'model.loss_ce_class_weighting' must be \"none\" or \"inverse_log_frequency\", got \"median\"");
  json pretraining = config;
  pretraining["image_pretraining"] = true;
  EXPECT_NE(usage_error(pretraining).find("set 'model.loss_image_semantics_weight' above 0"),
            std::string::npos);
  EXPECT_THROW(baseline_default_config("huge", GridSpec{}), UsageError);
}

TEST(ModelRegistry, FindsTheBaselineAndListsKnownKinds) {
  const ModelKind& baseline = find_model_kind("baseline");
  EXPECT_EQ(baseline.sizes, (std::vector<std::string>{"small", "base", "tiny", "demo"}));
  const ModelInputs inputs = baseline.inputs(baseline.default_config("small", GridSpec{}));
  EXPECT_FALSE(inputs.masks);
  EXPECT_FALSE(inputs.flow_labels);
  EXPECT_EQ(inputs.history_frames, 0);
  EXPECT_EQ(baseline.default_config("base", GridSpec{})["query_shape"], json({100, 100, 16}));
  try {
    find_model_kind("panoocc");
    FAIL() << "no error";
  } catch (const UsageError& error) {
    // Other kinds join the list as they are registered.
    const std::string message = error.what();
    EXPECT_EQ(message.rfind("unknown model 'panoocc' (known: ", 0), 0u) << message;
    EXPECT_NE(message.find("baseline"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace occ::models
