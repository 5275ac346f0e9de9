#include "models/baseline/baseline_model.h"

#include <string>

#include "core/error.h"
#include "losses/occupancy_losses.h"

namespace occ::models {
namespace {

std::string shape_string(const at::Tensor& tensor) {
  if (!tensor.defined()) return "undefined";
  std::string text = "[";
  for (int64_t i = 0; i < tensor.dim(); ++i) text += (i ? ", " : "") + std::to_string(tensor.size(i));
  return text + "]";
}

}  // namespace

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
}

std::vector<at::Tensor> BaselineModel::image_features(const at::Tensor& images) {
  if (images.dim() != 5 || images.size(2) != 3)
    throw UsageError("baseline model: images must be [B, N, 3, H, W], got " + shape_string(images));
  return neck->forward(backbone->forward(images.flatten(0, 1)));
}

ModelOutput BaselineModel::forward(const Batch& batch) {
  return forward_traced(batch, nullptr);
}

ModelOutput BaselineModel::forward_traced(const Batch& batch, VoxelEncoderTrace* trace) {
  if (clock_ != nullptr) clock_->start();
  const std::vector<at::Tensor> levels = image_features(batch.images);
  mark_stage(clock_, "backbone");
  const at::Tensor volume = encode(batch, levels, trace, nullptr);
  mark_stage(clock_, "view_transformation");
  VoxelDecoderOutput decoded = decoder->forward(volume);
  mark_stage(clock_, "decoder");
  ModelOutput output;
  output.logits = decoded.logits;
  output.occupancy_logit = decoded.occupancy_logit;
  return output;
}

at::Tensor BaselineModel::encode(const Batch& batch, const std::vector<at::Tensor>& levels,
                                 VoxelEncoderTrace* trace, const EncoderQueryHook& hook) {
  return encoder->forward(levels, batch.intrinsics, batch.ego_from_camera, batch.images.size(3),
                          batch.images.size(4), trace, hook);
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
  terms.emplace_back("lovasz", config_.loss_lovasz_weight * losses::lovasz_softmax(logits.softmax(1),
                                                                                   batch.semantics,
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

void BaselineModel::load_backbone_weights(const std::string& path) {
  nn::load_resnet_weights(*backbone, path);
}

}  // namespace occ::models
