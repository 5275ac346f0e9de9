// Let Occ Flow's per-pixel rendered flow (occ predict --rendered-flow) and
// the KITTI rig's z cut on hand-made fields: a constant flow field renders to
// that flow at every pixel (the weights renormalised by the opacity sum to
// one), and z index >= model.free_above_z_index is free.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/config_tree.h"
#include "core/error.h"
#include "models/letoccflow/letoccflow_config.h"
#include "models/letoccflow/letoccflow_model.h"

namespace occ::models {
namespace {

TEST(LetOccFlowRenderedFlow, AConstantFlowFieldRendersToItselfAndTheZCutFreesTheTop) {
  GridSpec grid;
  grid.shape = {10, 8, 4};
  grid.voxel_size_m = {1.0, 1.0, 1.0};
  grid.origin_m = {0.0, -4.0, -2.0};
  nlohmann::json run{{"model", letoccflow_default_config("demo", grid)}};
  for (const std::string& setting : letoccflow_tiny_settings()) apply_assignment(run, setting);
  apply_assignment(run, "model.stage=2");
  apply_assignment(run, "model.free_above_z_index=3");
  apply_assignment(run, "model.depth_render_stride=1");
  LetOccFlowModel model(LetOccFlowConfig::from_json(run.at("model")), grid);
  model.eval();
  const auto& v = model.box().vertex_shape;
  // A wall at x = 5 (sdf 5 - x, occupied beyond), flow (0.3, -0.2) m everywhere.
  const at::Tensor x = at::arange(v[0], at::kFloat) * model.box().voxel_size_m[0] + model.box().origin_m[0];
  ModelOutput output;
  output.extras["sdf"] = (5.0 - x).view({1, 1, v[0], 1, 1}).expand({1, 1, v[0], v[1], v[2]}).contiguous();
  output.extras["flow"] = at::stack({at::full({v[0], v[1], v[2]}, 0.3), at::full({v[0], v[1], v[2]}, -0.2)})
                              .unsqueeze(0)
                              .to(at::kFloat);
  // One camera at the ego origin looking along ego x (camera z), a 6x8 image.
  Batch batch;
  batch.frames = {0};
  batch.images = at::zeros({1, 1, 3, 6, 8});
  batch.intrinsics = at::tensor({8.0f, 0.0f, 4.0f, 0.0f, 8.0f, 3.0f, 0.0f, 0.0f, 1.0f}).view({1, 1, 3, 3});
  batch.ego_from_camera = at::tensor({0.0f, 0.0f, 1.0f, 0.0f, -1.0f, 0.0f, 0.0f, 0.0f, 0.0f, -1.0f, 0.0f,
                                      0.0f, 0.0f, 0.0f, 0.0f, 1.0f})
                              .view({1, 1, 4, 4});
  PredictionRequest request;
  request.depth = true;
  request.extras = {"rendered-flow"};
  const Prediction prediction = model.predict(output, batch, request);
  ASSERT_EQ(prediction.extras.count("rendered_flow"), 1u);
  const at::Tensor flow = prediction.extras.at("rendered_flow");
  ASSERT_EQ(flow.sizes(), (at::IntArrayRef{1, 1, 6, 8, 2}));
  EXPECT_TRUE(at::allclose(flow.select(-1, 0), at::full({1, 1, 6, 8}, 0.3f), 1e-4, 1e-4)) << flow;
  EXPECT_TRUE(at::allclose(flow.select(-1, 1), at::full({1, 1, 6, 8}, -0.2f), 1e-4, 1e-4)) << flow;
  ASSERT_EQ(prediction.depth.sizes(), (at::IntArrayRef{1, 1, 6, 8}));
  // The centre pixel looks along x at the wall: depth about 5 m.
  EXPECT_NEAR(prediction.depth[0][0][3][4].item<float>(), 5.0f, 1.0f);
  // z index 3 (z 1..2 m) is free; below, the voxels beyond the wall are occupied.
  EXPECT_EQ(prediction.semantics[0][7][4][3].item<int>(), grid.free_class);
  EXPECT_EQ(prediction.semantics[0][7][4][1].item<int>(), 0);
  // A stage-1 request is refused: no flow field.
  output.extras.erase("flow");
  EXPECT_THROW(model.predict(output, batch, request), UsageError);
}

}  // namespace
}  // namespace occ::models
