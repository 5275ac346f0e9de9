#include "models/model_catalog.h"

#include <utility>

#include "core/error.h"

namespace occ::models {
namespace {

KindDescription baseline_description() {
  KindDescription kind;
  kind.name = "baseline";
  kind.summary = "PanoOcc-style voxel queries: ResNet+FPN, spatial cross-attention, 3D deconvolution decoder";
  return kind;
}

// ProtoOcc's ablation switches: the rows of the paper's Tables 4 and 5 as
// shorthands for --set model.<key>=... .
std::vector<TrainSwitch> protoocc_switches() {
  using Assignments = std::vector<std::string>;
  return {
      // Optimisation works on mapped prototypes: no mapping, no optimisation.
      {"no-proto-mapping", "no prototype mapping (and so no prototype optimisation)", false,
       [](const std::string&) {
         return Assignments{"model.proto_mapping=false", "model.proto_optimisation=false"};
       }},
      {"no-proto-opt", "no prototype optimisation (no --masks)", false,
       [](const std::string&) { return Assignments{"model.proto_optimisation=false"}; }},
      {"no-mod", "no multi-perspective occupancy decoding", false,
       [](const std::string&) { return Assignments{"model.mod=false"}; }},
      {"aug",
       "augmented views of the decoding: dropout,noise,transpose,flip_x,flip_y (flip: both flips) or none",
       true, [](const std::string& value) { return Assignments{"model.mod_augmentations=" + value}; }},
  };
}

KindDescription protoocc_description() {
  KindDescription kind;
  kind.name = "protoocc";
  kind.summary =
      "ProtoOcc: the baseline plus prototype mapping, prototype optimisation (needs --masks) and "
      "multi-perspective decoding";
  kind.extra_outputs = {
      {"prototypes",
       "also write /pred/prototypes: the prototype each stride-8 feature cell of each camera joined "
       "(ProtoOcc "
       "with model.proto_mapping on), drawn by occ render --view prototypes",
       {{"prototypes", h5::DType::uint16, false,
         "hard prototype assignment (ids 0 to M-1) of each stride-8 feature cell of each camera"},
        {"prototype_grid", h5::DType::int32, true, "rows and columns of the initial prototype grid"}}},
  };
  kind.switches = protoocc_switches();
  kind.switches_title = "ProtoOcc ablations";
  return kind;
}

// The stage schedule, the ablation rows of the paper's Tables 5 and 6 and
// the LiDAR term as shorthands for --set model.<key>=... (occ-train(1)).
std::vector<TrainSwitch> letoccflow_switches() {
  using Assignments = std::vector<std::string>;
  return {
      {"stage2-from", "stage 1 up to this step, stage 2 (flow; needs --flow) from it, in one run", true,
       [](const std::string& value) { return Assignments{"model.stage2_from_step=" + value}; }},
      {"joint", "no two-stage training: stage 2 from the first step, the NeuS variance learnt (needs --flow)",
       false,
       [](const std::string&) {
         return Assignments{"model.stage=2", "model.stage2_from_step=0",
                            "model.stage2_freeze_variance=false"};
       }},
      {"no-disentangle", "no dynamic disentanglement: every labelled ray alike in the flow loss, no L_dreg",
       false, [](const std::string&) { return Assignments{"model.dynamic_disentanglement=false"}; }},
      {"flow-supervision", "optical-flow labels that supervise the flow: forward, backward, both or none",
       true, [](const std::string& value) { return Assignments{"model.flow_supervision=" + value}; }},
      {"lidar",
       "add the LiDAR term (SILog on model.render.lidar_rays rendered LiDAR rays a frame; needs /lidar in "
       "--frames)",
       false, [](const std::string&) { return Assignments{"model.lidar=true"}; }},
  };
}

KindDescription letoccflow_description() {
  KindDescription kind;
  kind.name = "letoccflow";
  kind.summary =
      "Let Occ Flow: self-supervised occupancy and flow from TPV features, SDF and flow fields rendered "
      "against neighbour keyframes (model.stage 1: geometry; 2: + flow, needs --flow)";
  // The name is the model's request (LetOccFlowModel's kRenderedFlow), the
  // dataset the one it fills.
  kind.extra_outputs = {
      {"rendered-flow",
       "also write /pred/rendered_flow: each camera pixel's rendered BEV flow (metres along ego x, y to the "
       "next keyframe; the renderer's weighted sum of sample flow, as --depth renders depth), for occ "
       "export --format kitti-sceneflow and occ render --view flow (Let Occ Flow stage 2)",
       {{"rendered_flow", h5::DType::float32, false,
         "rendered BEV flow per camera pixel at the network input size, [C, H, W, 2] metres"}}},
  };
  kind.switches = letoccflow_switches();
  kind.switches_title = "Let Occ Flow stages, ablations and LiDAR";
  return kind;
}

std::vector<KindDescription>& catalog() {
  static std::vector<KindDescription> kinds = {baseline_description(), protoocc_description(),
                                               letoccflow_description()};
  return kinds;
}

}  // namespace

const std::vector<KindDescription>& model_catalog() {
  return catalog();
}

const KindDescription& find_kind_description(const std::string& name) {
  std::string known;
  for (const KindDescription& kind : model_catalog()) {
    if (kind.name == name) return kind;
    known += (known.empty() ? "" : ", ") + kind.name;
  }
  throw UsageError("unknown model " + quoted(name) + " (known: " + known + ")");
}

void describe_model_kind(KindDescription description) {
  for (const KindDescription& known : catalog()) {
    if (known.name == description.name)
      throw UsageError("model kind " + quoted(description.name) + " is registered twice");
  }
  catalog().push_back(std::move(description));
}

}  // namespace occ::models
