#include "models/baseline/baseline_model.h"

#include "nn/shape_text.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "losses/occupancy_losses.h"

namespace occ::models {
namespace {}  // namespace

nn::ResNetOptions baseline_resnet_options(const BaselineConfig& config) {
  nn::ResNetOptions options;
  options.depth = config.backbone_depth;
  options.out_indices = config.backbone_out_indices;
  options.frozen_stages = config.backbone_frozen_stages;
  options.norm_eval = config.backbone_norm_eval;
  options.style = config.backbone_style == "caffe" ? nn::ResNetStyle::Caffe : nn::ResNetStyle::PyTorch;
  return options;
}

nn::FpnOptions baseline_fpn_options(const BaselineConfig& config) {
  nn::FpnOptions options = nn::FpnOptions::panoocc();
  options.in_channels.clear();
  for (int stage : config.backbone_out_indices)
    options.in_channels.push_back(nn::resnet_stage_channels(config.backbone_depth, stage));
  options.out_channels = config.embed_dims;
  options.num_outs = static_cast<int>(config.num_levels);
  return options;
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
  backbone = register_module("backbone", nn::ResNet(baseline_resnet_options(config)));
  // ResNet builds all four stages (so torchvision weights load strictly) but
  // never runs those after the last out index: freeze them so that the
  // optimiser skips them.
  for (int stage = config.backbone_out_indices.back() + 1; stage < 4; ++stage) {
    const std::string prefix = "layer" + std::to_string(stage + 1) + ".";
    for (auto& item : backbone->named_parameters())
      if (item.key().rfind(prefix, 0) == 0) item.value().set_requires_grad(false);
  }
  neck = register_module("neck", nn::Fpn(baseline_fpn_options(config)));
  encoder = register_module("encoder", VoxelEncoder(baseline_encoder_options(config), grid));
  // Registered last so that a model without history initialises exactly as before.
  if (config.history_frames > 0 && config.temporal_fusion) {
    TemporalFusionOptions fusion;
    fusion.embed_dims = config.embed_dims;
    fusion.history_frames = config.history_frames;
    temporal_fusion = register_module("temporal_fusion", TemporalFusion(fusion));
  }
}

std::vector<at::Tensor> BaselineModel::image_features(const at::Tensor& images) {
  if (images.dim() != 5 || images.size(2) != 3)
    throw UsageError("baseline model: images must be [B, N, 3, H, W], got " + nn::shape_text(images));
  return neck->forward(backbone->forward(images.flatten(0, 1)));
}

namespace {

// Switches modules to eval mode and restores each one's own flag on exit
// (also when an exception leaves the scope).
class EvalModeScope {
 public:
  explicit EvalModeScope(std::vector<std::shared_ptr<torch::nn::Module>> modules)
      : modules_(std::move(modules)) {
    for (const auto& module : modules_) {
      was_training_.push_back(module->is_training());
      module->eval();
    }
  }
  ~EvalModeScope() {
    for (size_t i = 0; i < modules_.size(); ++i)
      if (was_training_[i]) modules_[i]->train(true);
  }
  EvalModeScope(const EvalModeScope&) = delete;
  EvalModeScope& operator=(const EvalModeScope&) = delete;

 private:
  std::vector<std::shared_ptr<torch::nn::Module>> modules_;
  std::vector<bool> was_training_;
};

}  // namespace

BaselineModel::History BaselineModel::encode_history(const Batch& batch) {
  const int64_t frames = config_.history_frames;
  const int64_t batch_size = batch.images.size(0);
  const std::string expected = "history_frames is " + std::to_string(frames);
  if (!batch.history_images.defined() || !batch.history_intrinsics.defined() ||
      !batch.history_ego_from_camera.defined() || !batch.history_from_current.defined() ||
      !batch.history_valid.defined())
    throw UsageError("baseline model: model." + expected +
                     " but the batch carries no history keyframes (the loader reads them when the model "
                     "kind's inputs ask for history_frames > 0)");
  const at::Tensor& images = batch.history_images;
  const bool shapes_ok = images.dim() == 6 && images.size(0) == batch_size && images.size(1) == frames &&
                         images.sizes().slice(2) == batch.images.sizes().slice(1) &&
                         batch.history_intrinsics.sizes().slice(0, 3) == images.sizes().slice(0, 3) &&
                         batch.history_ego_from_camera.sizes().slice(0, 3) == images.sizes().slice(0, 3) &&
                         batch.history_from_current.sizes() == at::IntArrayRef({batch_size, frames, 4, 4}) &&
                         batch.history_valid.sizes() == at::IntArrayRef({batch_size, frames});
  if (!shapes_ok)
    throw UsageError("baseline model: model." + expected + " but the batch's history is history_images " +
                     nn::shape_text(images) + ", history_intrinsics " +
                     nn::shape_text(batch.history_intrinsics) + ", history_ego_from_camera " +
                     nn::shape_text(batch.history_ego_from_camera) + ", history_from_current " +
                     nn::shape_text(batch.history_from_current) + ", history_valid " +
                     nn::shape_text(batch.history_valid) + " for images " + nn::shape_text(batch.images));

  const auto [nx, ny, nz] = config_.query_shape;
  const at::Tensor valid = batch.history_valid.to(at::kBool);
  at::Tensor volumes =
      at::zeros({batch_size, frames, config_.embed_dims, nx, ny, nz}, batch.images.options());
  const at::Tensor valid_cpu = valid.cpu();
  if (!valid_cpu.any().item<bool>()) return {volumes, valid};

  torch::NoGradGuard no_grad;
  const EvalModeScope eval_mode({backbone.ptr(), neck.ptr(), encoder.ptr()});
  // Without the fusion block only the nearest frame is read (by the temporal
  // self-attention): the others are not encoded and stay zero.
  const int64_t encoded = temporal_fusion ? frames : 1;
  // One history frame index at a time (only the frames that have it): the
  // peak memory stays that of the current frame.
  for (int64_t t = 0; t < encoded; ++t) {
    const at::Tensor rows = valid_cpu.select(1, t).nonzero().flatten().to(images.device());
    if (rows.numel() == 0) continue;
    const at::Tensor frame_images = images.select(1, t).index_select(0, rows);
    const at::Tensor volume = encoder->forward(
        image_features(frame_images), batch.history_intrinsics.select(1, t).index_select(0, rows),
        batch.history_ego_from_camera.select(1, t).index_select(0, rows), frame_images.size(3),
        frame_images.size(4));
    const AlignedVolume aligned = align_history_volume(
        volume, batch.history_from_current.select(1, t).index_select(0, rows), grid_, config_.query_shape);
    volumes.select(1, t).index_copy_(0, rows, aligned.volume.to(volumes.scalar_type()));
  }
  return {volumes, valid};
}

ModelOutput BaselineModel::forward(const Batch& batch) {
  return forward_traced(batch, nullptr);
}

ModelOutput BaselineModel::forward_traced(const Batch& batch, VoxelEncoderTrace* trace) {
  if (clock_ != nullptr) clock_->start();
  if (batch.images.dim() != 5)
    throw UsageError("baseline model: images must be [B, N, 3, H, W], got " + nn::shape_text(batch.images));
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
  return semantic_losses(output.logits, output.occupancy_logit, batch);
}

LossTerms BaselineModel::semantic_losses(const at::Tensor& logits, const at::Tensor& occupancy_logit,
                                         const Batch& batch) {
  if (!batch.semantics.defined()) throw UsageError("baseline model: the batch has no target semantics");
  LossTerms terms;
  const at::Tensor lovasz_mask = config_.loss_lovasz_mask_camera ? batch.mask_camera : at::Tensor();
  terms.emplace_back("ce", config_.loss_ce_weight *
                               losses::masked_cross_entropy(logits, batch.semantics, batch.mask_camera));
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
  ParameterGroup image_backbone{"backbone", {}, config_.backbone_lr_multiplier};
  ParameterGroup rest{"rest", {}, 1.0};
  for (const auto& item : named_parameters()) {
    if (!item.value().requires_grad()) continue;
    (item.key().rfind("backbone.", 0) == 0 ? image_backbone : rest).parameters.push_back(item.value());
  }
  return {image_backbone, rest};
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
  if (request.probabilities) prediction.probabilities = at::softmax(output.logits, 1).permute({0, 2, 3, 4, 1});
  return prediction;
}

void BaselineModel::load_backbone_weights(const std::string& path) {
  nn::load_resnet_weights(*backbone, path);
}

}  // namespace occ::models
