#pragma once
// The "model" configuration of ProtoOcc (`occ train --model protoocc`): the
// baseline's keys (ProtoOcc extends PanoOcc) plus the keys of its three
// additions, each switchable so that every ablation row of the paper's
// Tables 4 and 5 can be run. The paper's code is not public: the defaults
// marked CHOSEN in ../shared/reference/protoocc.md are ours.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/baseline/baseline_config.h"
#include "models/batch.h"

namespace occ::models {

struct ProtoOccConfig {
  BaselineConfig base;

  // Prototype mapping (Sec. 3.2.1).
  bool proto_mapping = true;
  std::string proto_mapping_layers = "all";  // "all" encoder layers or the "first" only (CHOSEN: all)
  int64_t proto_feature_stride = 8;          // image-feature level grouped into prototypes (CHOSEN: stride 8)
  int64_t proto_ratio = 4;                   // r: prototypes start as r x r cells (paper's best: 4, M = 350)
  int64_t proto_iterations = 3;              // grouping iterations T (CHOSEN)
  double proto_temperature = 0.1;            // grouping softmax temperature (CHOSEN)
  int64_t proto_neighbourhood = 1;           // cells each side a pixel may join (1: 3x3, SSN; CHOSEN)
  int64_t proto_hidden_dims = 256;           // width of the projection and dispatch MLPs
  // sigma(A) = sigmoid(beta + alpha cos) with learnable alpha, beta (Context
  // Clusters; CHOSEN) or the paper's sigmoid(cos).
  bool proto_affinity_learnable = true;
  // "soft": every query weighs every prototype (CHOSEN); "hard": each query
  // keeps only its most similar prototype (Context Clusters' code).
  std::string proto_assignment = "soft";
  // Eq. 1a's R = 1 + sum sigma(A) (Context Clusters; CHOSEN) or sum sigma(A) (the paper).
  bool proto_aggregate_counts_prototype = true;
  // Eq. 1b's sigma(A)^T P_vox divided by sum sigma(A) (CHOSEN) or the plain sum (the paper).
  bool proto_normalise_dispatch = true;
  // What the cross-attention's residual adds for a hit query: "query", the
  // query before the mapping (CHOSEN: Q^ only steers the deformable
  // attention's offsets and weights, as BEVFormer's residual is its input
  // query), or "mapped": also the mapping's change Q^ - Q' averaged over
  // the cameras that hit the query, so that the prototype features enter
  // the voxel volume (the paper is silent; Context Clusters adds its
  // dispatched features to the residual stream).
  std::string proto_residual = "query";

  // Prototype optimisation (Sec. 3.2.2): needs superpixel masks.
  bool proto_optimisation = true;
  double proto_contrastive_temperature = 0.1;  // tau_cls (CHOSEN)
  // Eq. 2's H: "softmax" over the prototypes of a learnable scale x sigma(A)
  // (CHOSEN) or "linear", w sigma(A) + b element by element (the paper's
  // linear map in the form that does not depend on M).
  std::string proto_pixels_map = "softmax";
  // Whether G (the cross-attention map) carries the contrastive loss's
  // gradient back to the attention (the paper does not stop it) or not (CHOSEN).
  bool proto_pixels_attention_gradient = false;
  // Each cell of X a probability-weighted mean (true) or the plain Eq. 2 sum.
  bool proto_pixels_normalise = true;
  // Subtract each image's mean cell of X (CHOSEN: without it X collapses to
  // one direction at initialisation; see PrototypePixelsOptions).
  bool proto_pixels_centre = true;
  bool proto_loss_sum = false;  // the paper sums over cells; CHOSEN mean (see losses)

  // Multi-perspective occupancy decoding (Sec. 3.3).
  bool mod = true;
  std::string mod_augmentations = "dropout,noise";  // P views (CHOSEN: P = 2)
  double mod_dropout = 0.1;
  double mod_noise_std = 0.1;
  double mod_temperature = 0.5;  // sharpening T of the consistency target (CHOSEN)
  bool mod_consistency_mask_camera =
      false;  // consistency on every voxel (GRAND: all nodes) or mask_camera only

  // Eq. 6: lambda1/lambda2 are the baseline's loss_ce_weight/loss_lovasz_weight.
  double loss_prototype_weight = 1.0;    // lambda3 (CHOSEN)
  double loss_consistency_weight = 1.0;  // lambda4 (CHOSEN)

  // Flat: the baseline's keys and these, side by side.
  nlohmann::json to_json() const;
  // A missing, unknown or mistyped key, or a value out of range, throws
  // UsageError naming it ("model.<key>").
  static ProtoOccConfig from_json(const nlohmann::json& config);
};

// The baseline's presets (small default, base, tiny, demo), same queries and
// decoders; proto_hidden_dims follows embed_dims.
nlohmann::json protoocc_default_config(const std::string& size, const GridSpec& grid);

}  // namespace occ::models
