#pragma once
// ProtoOcc (Oh et al., CVPR 2025; ../shared/reference/protoocc.md): the
// PanoOcc-style baseline plus
// - prototype mapping (Sec. 3.2.1): each camera's stride-8 image features are
//   grouped into prototypes that are mapped onto the voxel queries that camera
//   sees, before the spatial cross-attention of every encoder layer;
// - prototype optimisation (Sec. 3.2.2, training only): prototype-aware pixel
//   features pulled towards the centroids of superpixel pseudo masks;
// - multi-perspective occupancy decoding (Sec. 3.3, training only): augmented
//   copies of the encoded volume go through the shared decoder and a
//   consistency loss ties their predictions together.
// At inference only the mapping adds work; the decoder runs once.
#include <ATen/ATen.h>
#include <torch/nn/modules/container/modulelist.h>

#include <string>
#include <vector>

#include "models/baseline/baseline_model.h"
#include "models/protoocc/multi_perspective.h"
#include "models/protoocc/protoocc_config.h"
#include "models/protoocc/prototype_grouping.h"
#include "models/protoocc/prototype_mapping.h"
#include "models/protoocc/prototype_pixels.h"

namespace occ::models {

class ProtoOccModel : public BaselineModel {
 public:
  // Throws UsageError naming the key when the configuration does not fit
  // (e.g. no FPN level at proto_feature_stride).
  ProtoOccModel(const ProtoOccConfig& config, const GridSpec& grid);

  // In training, extras holds "view_logits.<p>" (each augmented view, its
  // spatial augmentation undone) and "prototype_pixels" [B*N, d, h, w]; in
  // evaluation "prototype_assignment" [B, N, h, w] int64 (the prototype of
  // each stride-8 feature cell, for `occ predict --prototypes`) and
  // "prototype_grid" [2] (the initial cells' rows and columns, M = product).
  ModelOutput forward(const Batch& batch) override;
  // Eq. 6: "ce" and "lovasz" (and "focal") summed over the views,
  // "prototype" (lambda3 L_cls) and "consistency" (lambda4 L_cons); with
  // model.loss_image_semantics_weight > 0 also the baseline's "image_ce"
  // (the demo recipe's 2D term, outside Eq. 6).
  LossTerms losses(const ModelOutput& output, const Batch& batch) override;
  // The baseline's prediction, plus the extras "prototypes" ([B, N, h, w]
  // prototype ids) and "prototype_grid" ([2], once per file) on request.
  // Throws UsageError when prototypes are asked of a model without mapping.
  Prediction predict(const ModelOutput& output, const Batch& batch,
                     const PredictionRequest& request) const override;

  const ProtoOccConfig& protoocc_config() const { return config_; }
  // The FPN level the prototypes are grouped on.
  int64_t prototype_level() const { return prototype_level_; }

  std::vector<PrototypeMapping> mappings;  // one per mapped encoder layer
  PrototypePixels pixels{nullptr};         // null without prototype optimisation

 private:
  ProtoOccConfig config_;
  int64_t prototype_level_ = 0;
  std::vector<PerspectiveAugmentation> augmentations_;
  torch::nn::ModuleList mapping_list_{nullptr};
};

}  // namespace occ::models
