// Let Occ Flow's stage schedule (issue 17): the learning-rate multipliers the
// model hands the trainer before and after model.stage2_from_step, which
// parameters train in which stage, and the NeuS variance held from the
// switch on.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/config_tree.h"
#include "models/letoccflow/letoccflow_config.h"
#include "models/letoccflow/letoccflow_model.h"

namespace occ::models {
namespace {

LetOccFlowConfig tiny_config(const GridSpec& grid, const std::vector<std::string>& extra) {
  nlohmann::json run{{"model", letoccflow_default_config("demo", grid)}};
  for (const std::string& setting : letoccflow_tiny_settings()) apply_assignment(run, setting);
  for (const std::string& setting : extra) apply_assignment(run, setting);
  return LetOccFlowConfig::from_json(run.at("model"));
}

GridSpec small_grid() {
  GridSpec grid;
  grid.shape = {10, 8, 2};
  grid.voxel_size_m = {1.0, 1.0, 1.0};
  grid.origin_m = {-5.0, -4.0, 0.0};
  return grid;
}

std::map<std::string, double> group_multipliers(LetOccFlowModel& model) {
  std::map<std::string, double> out;
  for (const ParameterGroup& group : model.parameter_groups()) out[group.name] = group.lr_multiplier;
  return out;
}

TEST(LetOccFlowStages, TheSwitchHandsTheTrainerEachStagesMultipliers) {
  const GridSpec grid = small_grid();
  LetOccFlowModel model(tiny_config(grid, {"model.stage2_from_step=5"}), grid);
  // Demo stage 1: every group at 1 (the backbone from scratch).
  const std::map<std::string, double> stage1{
      {"backbone", 1.0}, {"encoder", 1.0}, {"temporal", 1.0}, {"sdf", 1.0}, {"flow", 1.0}};
  const std::map<std::string, double> stage2{
      {"backbone", 0.1}, {"encoder", 0.25}, {"temporal", 0.4}, {"sdf", 0.4}, {"flow", 1.0}};
  EXPECT_EQ(model.lr_multipliers_at(0), stage1);
  EXPECT_EQ(model.lr_multipliers_at(4), stage1);
  EXPECT_EQ(model.lr_multipliers_at(5), stage2);
  EXPECT_EQ(model.lr_multipliers_at(100), stage2);
  // The flow head is in the optimiser from the start (it trains after the switch).
  EXPECT_EQ(group_multipliers(model).count("flow"), 1u);

  // A run without a switch leaves the multipliers to parameter_groups():
  // stage 1 without the (frozen) flow head, stage 2 at the paper's values.
  LetOccFlowModel plain(tiny_config(grid, {}), grid);
  EXPECT_TRUE(plain.lr_multipliers_at(10).empty());
  EXPECT_EQ(group_multipliers(plain).count("flow"), 0u);
  LetOccFlowModel second(tiny_config(grid, {"model.stage=2"}), grid);
  EXPECT_EQ(group_multipliers(second), stage2);
}

TEST(LetOccFlowStages, TheVarianceIsHeldFromTheSwitchOn) {
  const GridSpec grid = small_grid();
  LetOccFlowModel model(tiny_config(grid, {"model.stage2_from_step=2"}), grid);
  model.on_step(1);
  EXPECT_TRUE(model.variance->variance.requires_grad());
  model.on_step(2);
  EXPECT_FALSE(model.variance->variance.requires_grad());
  const float held = model.variance->variance.item<float>();
  {
    // What data parallelism's zero gradient plus weight decay would do.
    at::NoGradGuard no_grad;
    model.variance->variance.mul_(0.5);
  }
  model.on_step(3);
  EXPECT_EQ(model.variance->variance.item<float>(), held);

  // --joint: stage 2 from the start with the variance learnt.
  LetOccFlowModel joint(tiny_config(grid, {"model.stage=2", "model.stage2_freeze_variance=false"}), grid);
  joint.on_step(0);
  EXPECT_TRUE(joint.variance->variance.requires_grad());
}

}  // namespace
}  // namespace occ::models
