#pragma once
// The interface every occupancy model implements (baseline, ProtoOcc, Let Occ
// Flow), so the trainer and `occ predict` never need to know which one runs.
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "models/batch.h"
#include "models/stage_clock.h"

namespace occ::models {

struct ModelOutput {
  at::Tensor logits;           // [B, C, X, Y, Z] class scores on the output grid
  at::Tensor occupancy_logit;  // [B, X, Y, Z] or undefined (no occupancy head)
  // Model-specific tensors that forward hands to losses() or to occ predict,
  // by name (e.g. ProtoOcc's augmented views and prototype assignments).
  std::map<std::string, at::Tensor> extras;
};

// Named loss terms, already weighted; the trainer sums them and logs each.
using LossTerms = std::vector<std::pair<std::string, at::Tensor>>;

// Parameters that share a learning-rate multiplier (e.g. backbone x0.1).
struct ParameterGroup {
  std::string name;
  std::vector<at::Tensor> parameters;
  double lr_multiplier = 1.0;
};

// What occ predict asks of a model beyond the semantics; each field is one
// of the kind's declared outputs (ModelKind::outputs) or false.
struct PredictionRequest {
  bool probabilities = false;  // class probabilities (models with class logits)
  bool depth = false;          // rendered depth per camera (models that render)
  // Optional extra outputs by name (ModelKind::outputs().extras, e.g.
  // ProtoOcc's "prototypes").
  std::vector<std::string> extras;
  bool wants(const std::string& extra) const {
    for (const std::string& name : extras)
      if (name == extra) return true;
    return false;
  }
};

// A model's prediction for a batch in the units the pred file stores
// (data/schemas/pred.json); occ predict writes every defined field.
struct Prediction {
  // Class id per voxel in the frames file's class set, always defined. A
  // geometry-only kind (ModelKind::outputs().geometry_only) marks occupied
  // voxels with class 0 and the rest free: only occupied / free carries
  // meaning (occ eval --metric rayiou --geometry-only).
  at::Tensor semantics;              // [B, X, Y, Z] uint8
  at::Tensor probabilities;          // [B, X, Y, Z, K] float32 class probabilities
  at::Tensor flow;                   // [B, X, Y, Z, 2] float32 m/s along ego x and y
  at::Tensor sdf;                    // [B, X, Y, Z] float32 signed distance at voxel centres, metres
  at::Tensor occupancy_probability;  // [B, X, Y, Z] float32 in [0, 1]
  at::Tensor depth;                  // [B, N, H, W] float32 rendered z-depth in metres, at `images` size
  // Extra datasets /pred/<name> a kind declares (ModelKind::outputs().extras):
  // per frame [B, ...], or one value for the whole file when the declaration
  // says so.
  std::map<std::string, at::Tensor> extras;
};

class OccupancyModel : public torch::nn::Module {
 public:
  virtual ModelOutput forward(const Batch& batch) = 0;
  virtual LossTerms losses(const ModelOutput& output, const Batch& batch) = 0;
  // Every trainable parameter in exactly one group.
  virtual std::vector<ParameterGroup> parameter_groups() = 0;
  // The prediction of a forward output in evaluation mode: semantics always,
  // the rest as `request` asks (the registry has already checked the kind
  // declares them).
  virtual Prediction predict(const ModelOutput& output, const Batch& batch,
                             const PredictionRequest& request) const = 0;

  // Called by the trainer before every optimiser step with the number of
  // steps done so far (0 before the first), also when a run resumes: for
  // schedules inside the model (an annealed loss term, a parameter frozen
  // from some step on). The default does nothing.
  virtual void on_step(int64_t step) { (void)step; }
  // Learning-rate multipliers by group name for the update after `step`
  // steps, in place of those of parameter_groups(): for a model that
  // changes them on a schedule of its own (Let Occ Flow's stage switch).
  // Empty (the default): parameter_groups()'s. train.stages, when it names
  // a group for that step, wins.
  virtual std::map<std::string, double> lr_multipliers_at(int64_t step) const {
    (void)step;
    return {};
  }

  // Loads image-backbone weights saved from Python (`occ train
  // --backbone-weights`); models without an image backbone throw UsageError.
  virtual void load_backbone_weights(const std::string& path);

  // Per-stage wall time (backbone, view transformation, decoder) when a clock
  // is attached; used by `occ predict` and the benchmarks.
  void set_stage_clock(StageClock* clock) { clock_ = clock; }

 protected:
  StageClock* clock_ = nullptr;
};

}  // namespace occ::models
