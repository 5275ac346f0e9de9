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

class OccupancyModel : public torch::nn::Module {
 public:
  virtual ModelOutput forward(const Batch& batch) = 0;
  virtual LossTerms losses(const ModelOutput& output, const Batch& batch) = 0;
  // Every trainable parameter in exactly one group.
  virtual std::vector<ParameterGroup> parameter_groups() = 0;
  // Class id per voxel, [B, X, Y, Z] uint8 (the occupancy head, when there is
  // one, turns voxels below its threshold free).
  virtual at::Tensor predict_semantics(const ModelOutput& output) const = 0;

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
