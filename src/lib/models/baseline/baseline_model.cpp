#include "models/baseline/baseline_model.h"

#include "nn/shape_text.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "losses/occupancy_losses.h"
#include "metrics/class_weights.h"
#include "models/history_encoding.h"

namespace occ::models {

BackboneOptions baseline_backbone_options(const BaselineConfig& config) {
  return backbone_options(backbone_keys_of(config), config.backbone_style == "caffe"
                                                        ? nn::ResNetStyle::Caffe
                                                        : nn::ResNetStyle::PyTorch);
}

nn::FpnOptions baseline_fpn_options(const BaselineConfig& config) {
  return backbone_fpn_options(baseline_backbone_options(config), config.embed_dims, config.num_levels);
}

VoxelEncoderOptions baseline_encoder_options(const BaselineConfig& config) {
  VoxelEncoderOptions options;
  options.embed_dims = config.embed_dims;
  options.num_heads = config.num_heads;
  options.num_points = config.num_points;
  options.num_levels = config.num_levels;
  options.ffn_dims = config.ffn_dims;
  options.dropout = config.dropout;
  options.num_layers = config.encoder_layers;
  options.self_attention = config.self_attention;
  options.temporal_self_attention = config.temporal_self_attention;
  options.query_shape = config.query_shape;
  return options;
}

VoxelDecoderOptions baseline_decoder_options(const BaselineConfig& config, const GridSpec& grid) {
  VoxelDecoderOptions options;
  options.in_channels = config.embed_dims;
  options.query_shape = config.query_shape;
  options.grid_shape = grid.shape;
  options.channels = config.decoder_channels;
  options.upsampling =
      config.decoder_upsampling == "trilinear" ? DecoderUpsampling::trilinear : DecoderUpsampling::deconv;
  options.classifier_hidden = config.classifier_hidden;
  options.num_classes = grid.num_classes;
  options.occupancy_head = config.occupancy_head;
  return options;
}

BaselineModel::BaselineModel(const BaselineConfig& config, const GridSpec& grid)
    : config_(config), grid_(grid) {
  if (grid.num_classes < 2 || grid.free_class < 0 || grid.free_class >= grid.num_classes)
    throw UsageError("the grid needs at least two classes and a free class among them");
  // The decoder checks the geometry first: its error names the keys to fix.
  decoder = register_module("decoder", VoxelDecoder(baseline_decoder_options(config, grid)));
  image_backbone_ =
      ImageBackbone::attach(*this, baseline_backbone_options(config), baseline_fpn_options(config));
  backbone = image_backbone_.backbone;
  neck = image_backbone_.neck;
  encoder = register_module("encoder", VoxelEncoder(baseline_encoder_options(config), grid));
  // Registered last so that a model without history initialises exactly as before.
  if (config.history_frames > 0 && config.temporal_fusion) {
    TemporalFusionOptions fusion;
    fusion.embed_dims = config.embed_dims;
    fusion.history_frames = config.history_frames;
    temporal_fusion = register_module("temporal_fusion", TemporalFusion(fusion));
  }
  if (config.loss_image_semantics_weight > 0)
    image_semantics =
        register_module("image_semantics",
                        torch::nn::Conv2d(torch::nn::Conv2dOptions(config.embed_dims, grid.num_classes, 1)));
}

std::vector<at::Tensor> BaselineModel::image_features(const at::Tensor& images) {
  return image_backbone_.features(images, "baseline model");
}

BaselineModel::History BaselineModel::encode_history(const Batch& batch) {
  HistoryEncoding encoding;
  encoding.frames = config_.history_frames;
  // Without the fusion block only the nearest frame is read (by the temporal
  // self-attention): the others are not encoded and stay zero.
  encoding.encoded = temporal_fusion ? encoding.frames : 1;
  encoding.volume_shape = {config_.embed_dims, config_.query_shape[0], config_.query_shape[1],
                           config_.query_shape[2]};
  encoding.who = "baseline model: model";
  const HistoryVolumes history = encode_history_volumes(
      batch, encoding, grid_, {backbone.ptr(), neck.ptr(), encoder.ptr()},
      [this](const at::Tensor& images, const at::Tensor& intrinsics, const at::Tensor& ego_from_camera) {
        return encoder->forward(image_features(images), intrinsics, ego_from_camera, images.size(3),
                                images.size(4));
      });
  return {history.volumes, history.valid};
}

ModelOutput BaselineModel::forward(const Batch& batch) {
  return forward_traced(batch, nullptr);
}

ModelOutput BaselineModel::forward_traced(const Batch& batch, VoxelEncoderTrace* trace) {
  if (clock_ != nullptr) clock_->start();
  if (batch.images.dim() != 5)
    throw UsageError("baseline model: images must be [B, N, 3, H, W], got " + nn::shape_text(batch.images));
  if (config_.image_pretraining && is_training()) {
    // 2D pretraining: the 3D path is neither run nor trained.
    if (!batch.camera_semantics.defined())
      throw UsageError("baseline model: model.image_pretraining needs the batch's camera classes");
    ModelOutput output;
    const std::vector<at::Tensor> levels = image_features(batch.images);
    mark_stage(clock_, "backbone");
    output.extras["image_semantics"] = image_semantics->forward(levels.front());
    return output;
  }
  const History history = batch_history(batch);
  if (history.volumes.defined()) mark_stage(clock_, "history");
  const std::vector<at::Tensor> levels = image_features(batch.images);
  mark_stage(clock_, "backbone");
  const at::Tensor volume = encode(batch, levels, history, trace, nullptr);
  mark_stage(clock_, "view_transformation");
  VoxelDecoderOutput decoded = decoder->forward(volume);
  mark_stage(clock_, "decoder");
  ModelOutput output;
  output.logits = decoded.logits;
  output.occupancy_logit = decoded.occupancy_logit;
  // Only training batches carry camera classes (ModelInputs::camera_semantics).
  if (image_semantics && batch.camera_semantics.defined())
    output.extras["image_semantics"] = image_semantics->forward(levels.front());
  return output;
}

BaselineModel::History BaselineModel::batch_history(const Batch& batch) {
  return config_.history_frames > 0 ? encode_history(batch) : History{};
}

at::Tensor BaselineModel::encode(const Batch& batch, const std::vector<at::Tensor>& levels,
                                 const History& history, VoxelEncoderTrace* trace,
                                 const EncoderQueryHook& hook) {
  // The temporal self-attention reads the nearest history frame (BEVFormer
  // reads one previous BEV); frames without one attend to themselves.
  const bool temporal_attention = config_.temporal_self_attention && history.volumes.defined();
  at::Tensor volume = encoder->forward(levels, batch.intrinsics, batch.ego_from_camera, batch.images.size(3),
                                       batch.images.size(4), trace, hook,
                                       temporal_attention ? history.volumes.select(1, 0) : at::Tensor(),
                                       temporal_attention ? history.valid.select(1, 0) : at::Tensor());
  if (temporal_fusion && history.volumes.defined()) {
    // CHOSEN: an entry without an earlier keyframe holds the current volume
    // without gradient (PanoOcc repeats the current BEV when a scene has no
    // previous frame); every history slot is then gradient-free alike.
    const at::Tensor valid = history.valid.view({history.valid.size(0), history.valid.size(1), 1, 1, 1, 1});
    const at::Tensor filled = at::where(valid, history.volumes, volume.detach().unsqueeze(1));
    volume = temporal_fusion->forward(volume, filled);
  }
  return volume;
}

LossTerms BaselineModel::losses(const ModelOutput& output, const Batch& batch) {
  LossTerms terms =
      config_.image_pretraining ? LossTerms{} : semantic_losses(output.logits, output.occupancy_logit, batch);
  if (image_semantics) {
    const auto logits = output.extras.find("image_semantics");
    if (logits == output.extras.end() || !batch.camera_semantics.defined())
      throw UsageError("baseline model: model.loss_image_semantics_weight needs the batch's camera classes");
    terms.emplace_back("image_ce", config_.loss_image_semantics_weight *
                                       image_semantic_loss(logits->second, batch.camera_semantics));
  }
  return terms;
}

at::Tensor image_semantic_loss(const at::Tensor& logits, const at::Tensor& classes) {
  // logits [B*N, K, h, w] of a feature level; classes [B, N, H, W]. Each cell
  // takes the class of the pixel nearest its centre (PyTorch's
  // nearest-exact: source = floor((i + 0.5) * H / h)).
  const int64_t height = classes.size(2), width = classes.size(3);
  auto centres = [&](int64_t cells, int64_t pixels) {
    const auto options = at::TensorOptions().dtype(at::kDouble).device(classes.device());
    return ((at::arange(cells, options) + 0.5) * (static_cast<double>(pixels) / static_cast<double>(cells)))
        .floor()
        .clamp_max(static_cast<double>(pixels - 1))
        .to(at::kLong);
  };
  const at::Tensor cells = classes.reshape({-1, height, width})
                               .index_select(1, centres(logits.size(2), height))
                               .index_select(2, centres(logits.size(3), width));
  // One CE: the voxel loss's, with each image a [h, w, 1] grid, every cell counted.
  return losses::masked_cross_entropy(logits.unsqueeze(-1), cells.unsqueeze(-1), at::Tensor());
}

LossTerms BaselineModel::semantic_losses(const at::Tensor& logits, const at::Tensor& occupancy_logit,
                                         const Batch& batch) {
  if (!batch.semantics.defined()) throw UsageError("baseline model: the batch has no target semantics");
  if (config_.loss_ce_class_weighting != "none" && !ce_class_weights_.defined())
    throw UsageError(
        "baseline model: model.loss_ce_class_weighting " + config_.loss_ce_class_weighting +
        " needs the training frames' class counts (occ train counts them before the first step)");
  LossTerms terms;
  const at::Tensor lovasz_mask = config_.loss_lovasz_mask_camera ? batch.mask_camera : at::Tensor();
  terms.emplace_back(
      "ce", config_.loss_ce_weight *
                losses::masked_cross_entropy(logits, batch.semantics, batch.mask_camera, ce_class_weights_));
  terms.emplace_back("lovasz",
                     config_.loss_lovasz_weight * losses::lovasz_softmax(logits.softmax(1), batch.semantics,
                                                                         grid_.free_class, lovasz_mask));
  if (occupancy_logit.defined())
    terms.emplace_back("focal", config_.loss_focal_weight *
                                    losses::focal_occupancy_loss(occupancy_logit, batch.semantics,
                                                                 grid_.free_class, batch.mask_camera));
  return terms;
}

std::vector<ParameterGroup> BaselineModel::parameter_groups() {
  return backbone_and_rest(*this, config_.backbone_lr_multiplier);
}

at::Tensor BaselineModel::predict_semantics(const ModelOutput& output) const {
  at::Tensor classes = output.logits.argmax(1);
  // PanoOcc: voxels the occupancy head finds unlikely to be occupied are free.
  if (output.occupancy_logit.defined())
    classes =
        classes.masked_fill(output.occupancy_logit.sigmoid() < config_.occupancy_threshold, grid_.free_class);
  return classes.to(at::kByte);
}

Prediction BaselineModel::predict(const ModelOutput& output, const Batch& batch,
                                  const PredictionRequest& request) const {
  (void)batch;
  Prediction prediction;
  prediction.semantics = predict_semantics(output);
  // [B, C, X, Y, Z] -> [B, X, Y, Z, C] as the pred file stores them.
  if (request.probabilities)
    prediction.probabilities = at::softmax(output.logits, 1).permute({0, 2, 3, 4, 1});
  return prediction;
}

void BaselineModel::load_backbone_weights(const std::string& path) {
  image_backbone_.load_weights(path);
}

bool BaselineModel::wants_class_counts() const {
  return config_.loss_ce_class_weighting != "none";
}

void BaselineModel::set_class_counts(const std::vector<int64_t>& counts) {
  if (config_.loss_ce_class_weighting == "none")
    throw UsageError("baseline model: class counts given but model.loss_ce_class_weighting is \"none\"");
  if (static_cast<int64_t>(counts.size()) != grid_.num_classes)
    throw UsageError("baseline model: " + std::to_string(counts.size()) + " class counts for a grid of " +
                     std::to_string(grid_.num_classes) + " classes");
  const std::vector<double> weights = metrics::inverse_log_frequency_weights(counts);
  ce_class_weights_ = at::tensor(weights, at::kDouble).to(at::kFloat);
}

}  // namespace occ::models
