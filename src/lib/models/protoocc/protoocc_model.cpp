#include "models/protoocc/protoocc_model.h"

#include <string>
#include <utility>

#include "core/error.h"
#include "losses/consistency_loss.h"
#include "losses/prototype_contrastive_loss.h"
#include "models/config_reader.h"

namespace occ::models {
namespace {

// FPN level l has stride 2^(2 + first backbone stage + l): level 0 of the
// outputs of ResNet stages {1, 2, 3} (strides 8, 16, 32) is stride 8.
int64_t level_of_stride(const BaselineConfig& config, int64_t stride) {
  for (int64_t level = 0; level < config.num_levels; ++level)
    if ((int64_t{4} << (config.backbone_out_indices.front() + level)) == stride) return level;
  throw UsageError(config::key_name("proto_feature_stride") + " " + std::to_string(stride) +
                   " is not the stride of any FPN level (backbone stages " +
                   nlohmann::json(config.backbone_out_indices).dump() + ", " +
                   std::to_string(config.num_levels) + " levels)");
}

// Adds `more` into `terms` by name (Eq. 6 sums the supervised terms of every
// view).
void add_terms(LossTerms& terms, const LossTerms& more) {
  for (const auto& [name, value] : more) {
    bool found = false;
    for (auto& term : terms) {
      if (term.first == name) {
        term.second = term.second + value;
        found = true;
      }
    }
    if (!found) terms.emplace_back(name, value);
  }
}

}  // namespace

ProtoOccModel::ProtoOccModel(const ProtoOccConfig& config, const GridSpec& grid)
    : BaselineModel(config.base, grid), config_(config) {
  augmentations_ = parse_perspective_augmentations(config.mod_augmentations, "model.mod_augmentations");
  if (config.proto_mapping) {
    prototype_level_ = level_of_stride(config.base, config.proto_feature_stride);
    mapping_list_ = register_module("prototype_mapping", torch::nn::ModuleList());
    const int64_t layers = config.proto_mapping_layers == "first" ? 1 : config.base.encoder_layers;
    PrototypeMappingOptions options;
    options.embed_dims = config.base.embed_dims;
    options.hidden_dims = config.proto_hidden_dims;
    options.learnable_affinity = config.proto_affinity_learnable;
    options.hard_assignment = config.proto_assignment == "hard";
    options.count_prototype_in_aggregate = config.proto_aggregate_counts_prototype;
    options.normalise_dispatch = config.proto_normalise_dispatch;
    for (int64_t layer = 0; layer < layers; ++layer) {
      mappings.push_back(PrototypeMapping(options));
      mapping_list_->push_back(mappings.back());
      encoder->layers.at(static_cast<size_t>(layer))
          ->cross_attention->set_hook_enters_residual(config.proto_residual == "mapped");
    }
    if (config.proto_optimisation) {
      PrototypePixelsOptions pixel_options;
      pixel_options.affinity_map =
          config.proto_pixels_map == "linear" ? AffinityMap::linear : AffinityMap::softmax;
      pixel_options.attention_gradient = config.proto_pixels_attention_gradient;
      pixel_options.normalise_cells = config.proto_pixels_normalise;
      pixel_options.centre_cells = config.proto_pixels_centre;
      pixels = register_module("prototype_pixels", PrototypePixels(pixel_options));
    }
  }
}

ModelOutput ProtoOccModel::forward(const Batch& batch) {
  if (clock_ != nullptr) clock_->start();
  // History volumes (temporal configurations) are encoded without the
  // prototype mapping (CHOSEN; the paper has no temporal ProtoOcc).
  const History history = batch_history(batch);
  if (history.volumes.defined()) mark_stage(clock_, "history");
  const std::vector<at::Tensor> levels = image_features(batch.images);
  mark_stage(clock_, "backbone");

  // Prototype mapping: group once per image, map in each encoder layer.
  PrototypeGrouping grouping;
  PrototypeMappingOutput last_mapping;
  int64_t last_mapped_layer = -1;
  EncoderQueryHook hook = nullptr;
  if (config_.proto_mapping) {
    PrototypeGroupingOptions options;
    options.ratio = config_.proto_ratio;
    options.iterations = config_.proto_iterations;
    options.temperature = config_.proto_temperature;
    options.neighbourhood = config_.proto_neighbourhood;
    grouping = group_prototypes(levels[static_cast<size_t>(prototype_level_)], options);
    hook = [&](int64_t layer, const at::Tensor& gathered, const CameraHits& hits) {
      if (layer >= static_cast<int64_t>(mappings.size())) return gathered;
      last_mapping = mappings[static_cast<size_t>(layer)]->forward(grouping.prototypes, gathered, hits.valid);
      last_mapped_layer = layer;
      return last_mapping.queries;
    };
  }
  const bool optimise = is_training() && pixels;
  VoxelEncoderTrace trace;
  const at::Tensor volume = encode(batch, levels, history, optimise ? &trace : nullptr, hook);

  ModelOutput output;
  if (optimise) {
    // CHOSEN: the sampling of the last mapped layer, whose affinity it pairs with.
    const at::Tensor& level = levels[static_cast<size_t>(prototype_level_)];
    output.extras["prototype_pixels"] =
        pixels->forward(trace.layers.at(static_cast<size_t>(last_mapped_layer)), trace.hits, last_mapping,
                        level.size(2), level.size(3));
  }
  mark_stage(clock_, "view_transformation");

  VoxelDecoderOutput decoded = decoder->forward(volume);
  output.logits = decoded.logits;
  output.occupancy_logit = decoded.occupancy_logit;
  if (is_training() && config_.mod) {
    PerspectiveOptions options;
    options.dropout = config_.mod_dropout;
    options.noise_std = config_.mod_noise_std;
    for (size_t view = 0; view < augmentations_.size(); ++view) {
      const PerspectiveAugmentation augmentation = augmentations_[view];
      VoxelDecoderOutput augmented = decoder->forward(augment_volume(volume, augmentation, options));
      const std::string suffix = "." + std::to_string(view + 1);
      output.extras["view_logits" + suffix] = undo_augmentation(augmented.logits, augmentation);
      if (augmented.occupancy_logit.defined())
        output.extras["view_occupancy_logit" + suffix] =
            undo_augmentation(augmented.occupancy_logit.unsqueeze(1), augmentation).squeeze(1);
    }
  }
  mark_stage(clock_, "decoder");
  // The recipe's 2D term (model.loss_image_semantics_weight, not part of
  // Eq. 6): only training batches carry camera classes.
  if (image_semantics && batch.camera_semantics.defined())
    output.extras["image_semantics"] = image_semantics->forward(levels.front());
  if (!is_training() && config_.proto_mapping) {
    const int64_t cameras = batch.images.size(1);
    output.extras["prototype_assignment"] = grouping.assignment.view(
        {batch.size(), cameras, grouping.assignment.size(1), grouping.assignment.size(2)});
    output.extras["prototype_grid"] = at::tensor({grouping.grid_height, grouping.grid_width}, at::kLong);
  }
  return output;
}

LossTerms ProtoOccModel::losses(const ModelOutput& output, const Batch& batch) {
  LossTerms terms = semantic_losses(output.logits, output.occupancy_logit, batch);
  std::vector<at::Tensor> probabilities{output.logits.softmax(1)};
  for (size_t view = 1; view <= augmentations_.size(); ++view) {
    const auto logits = output.extras.find("view_logits." + std::to_string(view));
    if (logits == output.extras.end()) break;  // evaluation mode: no views
    const auto occupancy = output.extras.find("view_occupancy_logit." + std::to_string(view));
    add_terms(terms,
              semantic_losses(logits->second,
                              occupancy == output.extras.end() ? at::Tensor() : occupancy->second, batch));
    probabilities.push_back(logits->second.softmax(1));
  }
  if (probabilities.size() > 1) {
    const at::Tensor mask = config_.mod_consistency_mask_camera ? batch.mask_camera : at::Tensor();
    terms.emplace_back("consistency",
                       config_.loss_consistency_weight *
                           losses::consistency_loss(probabilities, config_.mod_temperature, mask));
  }
  const auto pixel_features = output.extras.find("prototype_pixels");
  if (pixel_features != output.extras.end()) {
    if (!batch.masks.defined())
      throw UsageError(
          "ProtoOcc's prototype optimisation needs superpixel masks: pass --masks (made by occ cluster-masks "
          "from the same frames file) or switch it off with --set model.proto_optimisation=false");
    const at::Tensor& features = pixel_features->second;
    const at::Tensor masks =
        losses::resize_masks_nearest(batch.masks.flatten(0, 1), features.size(2), features.size(3));
    terms.emplace_back(
        "prototype", config_.loss_prototype_weight *
                         losses::prototype_contrastive_loss(
                             features, masks, config_.proto_contrastive_temperature, config_.proto_loss_sum));
  }
  if (image_semantics) {
    const auto logits = output.extras.find("image_semantics");
    if (logits == output.extras.end() || !batch.camera_semantics.defined())
      throw UsageError("ProtoOcc: model.loss_image_semantics_weight needs the batch's camera classes");
    terms.emplace_back("image_ce", config_.base.loss_image_semantics_weight *
                                       image_semantic_loss(logits->second, batch.camera_semantics));
  }
  return terms;
}

Prediction ProtoOccModel::predict(const ModelOutput& output, const Batch& batch,
                                  const PredictionRequest& request) const {
  Prediction prediction = BaselineModel::predict(output, batch, request);
  if (request.wants("prototypes")) {
    const auto assignment = output.extras.find("prototype_assignment");
    if (assignment == output.extras.end())
      throw UsageError("--prototypes: this ProtoOcc model has no prototypes (model.proto_mapping is off)");
    prediction.extras["prototypes"] = assignment->second;
    prediction.extras["prototype_grid"] = output.extras.at("prototype_grid");
  }
  return prediction;
}

}  // namespace occ::models
