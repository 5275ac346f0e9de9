// The optical-flow loss (zero with the true flow, dynamic reweighting, outlier
// rejection, detached weights), the dynamic mask on a moving and a parked
// synthetic car read from stored-resolution label maps, and L_dreg.
#include "losses/flow_loss.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <vector>

#include "core/error.h"
#include "losses/dynamic_flow.h"
#include "render/projection.h"
#include "render/rays.h"
#include "render/render_test_scenes.h"

namespace occ::losses {
namespace {

namespace test = render::test;

constexpr double kDepth = 10.0, kFocal = 20.0;
constexpr int64_t kHeight = 16, kWidth = 32;

// A camera at the ego origin looking along +x at the plane x = 10; rays
// through every pixel of a rows x cols grid with stride 2.
struct Scene {
  at::Tensor intrinsics = test::pinhole(kFocal, 15.5, 7.5).reshape({1, 1, 3, 3});
  at::Tensor pose = test::forward_camera({0, 0, 0}).reshape({1, 1, 4, 4});
  at::Tensor pixels;          // [1, 1, rows, cols, 2]
  render::CameraRays rays;    // R = rows * cols
  at::Tensor plane_distance;  // [1, 1, rows, cols]
  int64_t rows = 0, cols = 0;

  Scene(int64_t rows_in, int64_t cols_in, int64_t stride) : rows(rows_in), cols(cols_in) {
    std::vector<double> values;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        values.push_back(static_cast<double>(j * stride));
        values.push_back(static_cast<double>(i * stride));
      }
    pixels = at::tensor(values, at::kDouble).reshape({1, 1, rows, cols, 2});
    const render::VolumeBox box = render::VolumeBox::from_cells({0, -20, -20}, {20, 20, 20}, {4, 4, 4});
    rays = render::camera_rays(pixels, intrinsics, pose, box);
    plane_distance = (kDepth / rays.directions.select(-1, 0)).reshape({1, 1, rows, cols});
  }
  at::Tensor per_ray(const at::Tensor& tensor) const {
    return tensor.reshape({1, 1, rows, cols, tensor.size(-1)});
  }
};

// Five samples per ray, all weight on the one on the plane.
FlowLossInputs plane_flow_inputs(const Scene& scene, const at::Tensor& next_camera_from_ego) {
  const at::Tensor t =
      scene.plane_distance.unsqueeze(-1) + at::tensor({-1.0, -0.5, 0.0, 0.5, 1.0}, at::kDouble);
  FlowLossInputs in;
  in.pixels = scene.pixels;
  in.sample_points = scene.per_ray(scene.rays.origins).unsqueeze(-2) +
                     t.unsqueeze(-1) * scene.per_ray(scene.rays.directions).unsqueeze(-2);
  in.weights = at::tensor({0.0, 0.0, 1.0, 0.0, 0.0}, at::kDouble)
                   .expand({1, 1, scene.rows, scene.cols, 5})
                   .contiguous();
  in.sample_flow = at::zeros({1, 1, scene.rows, scene.cols, 5, 2}, at::kDouble);
  in.next_intrinsics = scene.intrinsics;
  in.next_camera_from_ego = next_camera_from_ego;
  in.flow_valid = at::ones({1, 1, scene.rows, scene.cols}, at::kBool);
  in.dynamic = at::zeros({1, 1, scene.rows, scene.cols}, at::kBool);
  return in;
}

TEST(OpticalFlowLoss, ZeroWithTheTrueFlowAndReweightedDynamicRays) {
  const Scene scene(4, 6, 5);
  // A static camera; the plane moves 0.5 m along ego y = 1 px to the left.
  FlowLossInputs in = plane_flow_inputs(scene, at::inverse(scene.pose));
  in.flow_label = at::tensor({-1.0, 0.0}, at::kDouble).expand({1, 1, 4, 6, 2}).contiguous();
  in.sample_flow = at::tensor({0.0, 0.5}, at::kDouble).expand({1, 1, 4, 6, 5, 2}).contiguous();
  const FlowLossOptions options;
  const FlowLossResult right = optical_flow_loss(in, options);
  EXPECT_NEAR(right.loss.item<double>(), 0.0, 1e-9);
  EXPECT_TRUE(right.kept.all().item<bool>());

  // Without flow every ray is 1 px off. 2 of 24 rays dynamic: they weigh
  // min(24 / 2, 20) = 12, so the loss is (22 + 2 x 12) / 24.
  in.sample_flow = at::zeros_like(in.sample_flow);
  in.dynamic[0][0][1][2] = true;
  in.dynamic[0][0][3][5] = true;
  EXPECT_NEAR(optical_flow_loss(in, options).loss.item<double>(), 46.0 / 24.0, 1e-9);
  // One dynamic ray of 24: the weight is capped at 20.
  in.dynamic[0][0][3][5] = false;
  EXPECT_NEAR(optical_flow_loss(in, options).loss.item<double>(), (23.0 + 20.0) / 24.0, 1e-9);

  // A ray 2000 px off is dropped (>= 1e3 and >= 100 x the median of 1 px).
  in.flow_label[0][0][0][0][0] = 2000.0;
  const FlowLossResult outlier = optical_flow_loss(in, options);
  EXPECT_FALSE(outlier.kept[0][0][0][0].item<bool>());
  EXPECT_NEAR(outlier.loss.item<double>(), (22.0 + 1.0 * std::min(23.0, 20.0)) / 23.0, 1e-9);
  // Invalid labels do not count.
  in.flow_valid = at::zeros_like(in.flow_valid);
  EXPECT_EQ(optical_flow_loss(in, options).loss.item<double>(), 0.0);
}

TEST(OpticalFlowLoss, RenderWeightsAreDetachedOnDynamicRays) {
  const Scene scene(3, 3, 8);
  // The camera moves 1 m forward: static rays' flow depends on the weights.
  FlowLossInputs in =
      plane_flow_inputs(scene, at::inverse(test::forward_camera({1.0, 0, 0})).reshape({1, 1, 4, 4}));
  in.weights = at::full({1, 1, 3, 3, 5}, 0.2, at::kDouble).requires_grad_(true);
  in.flow_label = at::zeros({1, 1, 3, 3, 2}, at::kDouble);
  in.dynamic[0][0][0][0] = true;
  optical_flow_loss(in, FlowLossOptions{}).loss.backward();
  EXPECT_EQ(in.weights.grad()[0][0][0][0].abs().sum().item<double>(), 0.0);
  EXPECT_GT(in.weights.grad()[0][0][2][2].abs().sum().item<double>(), 0.0);
}

TEST(DynamicRayMask, TrueOnAMovingCarFalseOnAParkedOneAtTheStoredResolution) {
  // Every pixel of a 16 x 32 image; label maps stored at half resolution.
  const Scene scene(kHeight, kWidth, 1);
  const int64_t map_h = kHeight / 2, map_w = kWidth / 2;
  // The ego moves 1 m forward between now and next; the background plane
  // stays: static flow at (u, v) = ((u - cx), (v - cy)) x 10 / 9 - (u - cx, v - cy).
  at::Tensor label = at::empty({1, 1, 2, map_h, map_w}, at::kDouble);
  at::Tensor movable = at::zeros({1, 1, 1, map_h, map_w}, at::kBool);
  for (int64_t r = 0; r < map_h; ++r)
    for (int64_t c = 0; c < map_w; ++c) {
      const double u = (static_cast<double>(c) + 0.5) * 2.0 - 0.5,
                   v = (static_cast<double>(r) + 0.5) * 2.0 - 0.5;
      label[0][0][0][r][c] = (u - 15.5) / 9.0;
      label[0][0][1][r][c] = (v - 7.5) / 9.0;
    }
  // The parked car (map columns 2..5, rows 2..5) moves with the scene; the
  // moving car (columns 10..13) drives 15 px to the right on top of it.
  movable.narrow(3, 2, 4).narrow(4, 2, 4).fill_(true);
  movable.narrow(3, 2, 4).narrow(4, 10, 4).fill_(true);
  label.select(2, 0).narrow(2, 2, 4).narrow(3, 10, 4).add_(15.0);
  // Background: an invalid wild label must not count either.
  label[0][0][0][7][0] = 50.0;
  at::Tensor valid = at::ones({1, 1, 1, map_h, map_w}, at::kBool);
  valid[0][0][0][7][0] = false;

  DynamicRayInputs in;
  in.distance = scene.plane_distance;
  in.origins = scene.per_ray(scene.rays.origins);
  in.directions = scene.per_ray(scene.rays.directions);
  in.pixels = scene.pixels;
  in.next_intrinsics = scene.intrinsics;
  in.next_camera_from_ego = at::inverse(test::forward_camera({1.0, 0, 0})).reshape({1, 1, 4, 4});
  in.flow_label = render::nearest_at_pixels(label, scene.pixels, kHeight, kWidth);
  in.flow_valid = render::nearest_at_pixels(valid, scene.pixels, kHeight, kWidth).squeeze(-1);
  in.movable = render::nearest_at_pixels(movable, scene.pixels, kHeight, kWidth).squeeze(-1);
  const at::Tensor dynamic = dynamic_ray_mask(in, 8.0)[0][0];  // [16, 32]
  // Image pixels of map cells rows 2..5 = image rows 4..11.
  EXPECT_TRUE(dynamic.narrow(0, 4, 8).narrow(1, 20, 8).all().item<bool>());  // the moving car
  EXPECT_FALSE(dynamic.narrow(0, 4, 8).narrow(1, 4, 8).any().item<bool>());  // the parked car
  EXPECT_EQ(dynamic.sum().item<int64_t>(), 64);                              // nothing else
  // The static flow itself: the right image edge flows right.
  EXPECT_NEAR(static_flow(in)[0][0][8][31][0].item<double>(), 15.5 / 9.0, 1e-9);
}

TEST(FlowRegularisation, MeanFlowOfStaticRaysPlusEmptySamples) {
  // Two rays of two samples; ray 1 is dynamic.
  const at::Tensor rendered = at::tensor({1.0, -2.0, 5.0, 5.0}, at::kDouble).reshape({2, 2});
  const at::Tensor dynamic = at::tensor({0, 1}).to(at::kBool);
  const at::Tensor sample_flow =
      at::tensor({0.5, 0.5, 3.0, 0.0, -1.0, 0.0, 9.0, 9.0}, at::kDouble).reshape({2, 2, 2});
  const at::Tensor weights = at::tensor({1e-4, 0.9, 0.5, 1e-5}, at::kDouble).reshape({2, 2});
  // Static rays: |1| + |-2| = 3. Empty samples (w < 1e-3): (0.5+0.5) and (9+9): mean 9.5.
  EXPECT_NEAR(flow_regularisation(rendered, dynamic, sample_flow, weights, 0.2, 1e-3).item<double>(),
              3.0 + 0.2 * 9.5, 1e-12);
  EXPECT_THROW(flow_regularisation(rendered, dynamic.narrow(0, 0, 1), sample_flow, weights, 0.2, 1e-3),
               UsageError);
}

}  // namespace
}  // namespace occ::losses
