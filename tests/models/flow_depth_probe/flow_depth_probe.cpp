#include "flow_depth_probe.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <memory>
#include <mutex>

#include "core/error.h"
#include "models/config_reader.h"
#include "models/occupancy_model.h"
#include "models/registry.h"

namespace occ::models::test {
namespace {

class FlowDepthProbe : public OccupancyModel {
 public:
  FlowDepthProbe(const GridSpec& grid, double max_depth) : grid_(grid), max_depth_(max_depth) {
    image_flow_ = register_parameter("image_flow", at::zeros({2}));
    depth_logit_ = register_parameter("depth_logit", at::zeros({1}));
    voxel_flow_ = register_parameter("voxel_flow", at::zeros({2}));
  }

  ModelOutput forward(const Batch& batch) override {
    // The contract: what the forward pass reads has arrived.
    if (!batch.capture_from_current.defined()) throw Error("flow_depth_probe: the batch lacks capture poses");
    ModelOutput output;
    const int64_t b = batch.images.size(0), n = batch.images.size(1);
    const int64_t h = batch.images.size(3), w = batch.images.size(4);
    output.extras["depth"] =
        (1.0 + max_depth_ * depth_logit_.sigmoid()).view({1, 1, 1, 1}).expand({b, n, h, w});
    output.extras["image_flow"] = image_flow_.view({1, 1, 2, 1, 1}).expand({b, n, 2, h, w});
    return output;
  }

  LossTerms losses(const ModelOutput& output, const Batch& batch) override {
    // The contract: what the kind asked for has arrived in training batches.
    for (const at::Tensor* field :
         {&batch.colour_images, &batch.neighbour_colour_images, &batch.neighbour_valid,
          &batch.neighbour_from_current, &batch.flow, &batch.sample_seed})
      if (!field->defined()) throw Error("flow_depth_probe: the batch lacks a field the kind asked for");
    LossTerms terms;
    {
      // L1 to the flow labels towards the next keyframe, on valid pixels.
      const at::Tensor valid = batch.flow_valid.select(1, 0).unsqueeze(2).to(at::kFloat);  // [B, N, 1, H, W]
      const at::Tensor error = (output.extras.at("image_flow") - batch.flow.select(1, 0)).abs() * valid;
      terms.emplace_back("flow", error.sum() / (2 * valid.sum()).clamp_min(1));
    }
    // Colour differences to valid neighbours, scaled by the depth scale: a
    // stand-in that reads the neighbour images and has a gradient.
    const at::Tensor valid = batch.neighbour_valid.to(at::kFloat).view({batch.size(), -1, 1, 1, 1, 1});
    const at::Tensor difference =
        (batch.neighbour_colour_images - batch.colour_images.unsqueeze(1)).abs().mean({2, 3, 4, 5}, true);
    terms.emplace_back("photometric", 0.1 * depth_logit_.sigmoid().sum() * (difference * valid).sum() /
                                          valid.sum().clamp_min(1));
    return terms;
  }

  std::vector<ParameterGroup> parameter_groups() override { return {{"probe", parameters(), 1.0}}; }

  Prediction predict(const ModelOutput& output, const Batch& batch,
                     const PredictionRequest& request) const override {
    Prediction prediction;
    const int64_t b = batch.size();
    const auto [x, y, z] = grid_.shape;
    // Nothing occupied: a geometry-only prediction of empty space.
    prediction.semantics = at::full({b, x, y, z}, grid_.free_class, at::kByte);
    prediction.flow = voxel_flow_.detach().view({1, 1, 1, 1, 2}).expand({b, x, y, z, 2});
    if (request.depth) prediction.depth = output.extras.at("depth").detach();
    return prediction;
  }

 private:
  GridSpec grid_;
  double max_depth_;
  at::Tensor image_flow_, depth_logit_, voxel_flow_;
};

ModelKind probe_kind() {
  ModelKind kind;
  kind.name = "flow_depth_probe";
  kind.summary = "test-only: proves the contract of self-supervised kinds";
  kind.inputs = [](const nlohmann::json&) {
    ModelInputs inputs;
    inputs.neighbour_offsets = {-1, 1};
    inputs.colour_images = true;
    inputs.capture_poses = true;
    inputs.flow_labels = true;
    inputs.sample_seeds = true;
    return inputs;
  };
  kind.sizes = {"tiny"};
  kind.default_config = [](const std::string& size, const GridSpec&) {
    if (size != "tiny") throw UsageError("flow_depth_probe has one size, tiny");
    return nlohmann::json{{"max_depth", 60.0}};
  };
  kind.create = [](const nlohmann::json& config, const GridSpec& grid) -> std::shared_ptr<OccupancyModel> {
    config::reject_unknown_keys(config, {{"max_depth", 60.0}});
    return std::make_shared<FlowDepthProbe>(grid, config::read_number(config, "max_depth", 1.0, 1000.0));
  };
  kind.supervision = Supervision::self_supervised;
  kind.validation = {"depth"};
  kind.tiny_settings = {};
  kind.outputs = [](const nlohmann::json&) {
    ModelOutputs outputs;
    outputs.depth = true;
    outputs.flow = true;
    outputs.geometry_only = true;
    return outputs;
  };
  return kind;
}

}  // namespace

void register_flow_depth_probe() {
  static std::once_flag once;
  std::call_once(once, [] { register_model_kind(probe_kind()); });
}

}  // namespace occ::models::test
