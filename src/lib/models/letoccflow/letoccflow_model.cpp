#include "models/letoccflow/letoccflow_model.h"

#include <ATen/core/grad_mode.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "losses/dynamic_flow.h"
#include "losses/flow_loss.h"
#include "losses/lidar_silog.h"
#include "losses/photometric_loss.h"
#include "losses/sdf_regularisers.h"
#include "losses/self_supervised_total.h"
#include "losses/smoothness.h"
#include "models/history_encoding.h"
#include "models/letoccflow/letoccflow_kind.h"
#include "render/fields.h"
#include "render/neus_rendering.h"
#include "render/projection.h"
#include "render/rays.h"

namespace occ::models {
namespace {

// occ predict --rendered-flow and its dataset /pred/rendered_flow.
constexpr const char* kRenderedFlow = "rendered-flow";
constexpr const char* kRenderedFlowDataset = "rendered_flow";

TpvEncoderOptions encoder_options(const LetOccFlowConfig& config) {
  TpvEncoderOptions options;
  options.embed_dims = config.embed_dims;
  options.num_heads = config.num_heads;
  options.num_levels = config.num_levels;
  options.ffn_dims = config.ffn_dims;
  options.dropout = config.dropout;
  options.num_layers = config.encoder_layers;
  options.tpv_shape = config.tpv_shape;
  options.pillar_points = config.pillar_points;
  options.cross_view = config.cross_view_attention;
  options.cross_view_points = config.cross_view_points;
  options.num_cameras = config.camera_embeddings;
  return options;
}

// The output grid's metric box cut into vertex_scale * tpv_shape cells.
render::VolumeBox vertex_box(const LetOccFlowConfig& config, const GridSpec& grid) {
  std::array<double, 3> min_m{}, max_m{};
  std::array<int64_t, 3> cells{};
  for (size_t axis = 0; axis < 3; ++axis) {
    min_m[axis] = grid.origin_m[axis];
    max_m[axis] = grid.origin_m[axis] + static_cast<double>(grid.shape[axis]) * grid.voxel_size_m[axis];
    cells[axis] = config.vertex_scale * config.tpv_shape[axis];
  }
  return render::VolumeBox::from_cells(min_m, max_m, cells);
}

// A head over channels-last features: [B, E, X, Y, Z] -> [B, out, X, Y, Z].
at::Tensor apply_head(torch::nn::Sequential& head, const at::Tensor& volume) {
  return head->forward(volume.permute({0, 2, 3, 4, 1})).permute({0, 4, 1, 2, 3}).contiguous();
}

// One seed for the batch's random draws from the loader's per-sample seeds.
uint64_t batch_seed(const Batch& batch, int64_t step) {
  if (!batch.sample_seed.defined()) return static_cast<uint64_t>(step);
  const at::Tensor seeds = batch.sample_seed.to(at::kCPU).to(at::kLong).contiguous();
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  for (int64_t i = 0; i < seeds.numel(); ++i)
    seed = seed * 1000003ull + static_cast<uint64_t>(seeds.data_ptr<int64_t>()[i]);
  return seed;
}

// Camera rays through `pixels` rendered on the fields.
struct RenderedRays {
  render::CameraRays rays;
  render::RaySamples samples;
  render::RenderOutput out;
};

RenderedRays render_rays(const render::FieldVolumes& fields, const render::VolumeBox& box,
                         const at::Tensor& pixels, const at::Tensor& intrinsics,
                         const at::Tensor& ego_from_camera, int64_t samples, const at::Tensor& jitter,
                         const at::Tensor& inv_s, double anneal, bool fused) {
  RenderedRays rendered;
  rendered.rays = render::camera_rays(pixels, intrinsics, ego_from_camera, box);
  rendered.samples = render::stratified_samples(rendered.rays.origins, rendered.rays.directions,
                                                rendered.rays.near, rendered.rays.far, samples, jitter);
  rendered.out = render::render_neus(fields, box, rendered.samples, inv_s, anneal, fused);
  return rendered;
}

// Where a neighbour is missing (scene start or end), the other one stands in
// so that every element has two real sources.
at::Tensor with_stand_in(const at::Tensor& own, const at::Tensor& other, const at::Tensor& valid) {
  std::vector<int64_t> shape(static_cast<size_t>(own.dim()), 1);
  shape[0] = own.size(0);
  return at::where(valid.view(shape), own, other);
}

// A [B, N, H, W] bool map read at the ray pixels -> [B, N, rows, cols] bool.
at::Tensor mask_at_rays(const at::Tensor& mask, const at::Tensor& pixels, int64_t height, int64_t width) {
  return render::nearest_at_pixels(mask.unsqueeze(2).to(at::kFloat), pixels, height, width).squeeze(-1) > 0.5;
}

// One direction of the optical-flow supervision: its dynamic rays and its
// loss (computed only when it counts).
struct FlowSupervision {
  at::Tensor dynamic;
  std::function<at::Tensor()> loss;
};

// The learning-rate multiplier of each parameter group in a stage.
std::map<std::string, double> stage_lr_multipliers(const LetOccFlowConfig& c, int stage) {
  if (stage == 2)
    return {{"backbone", c.stage2_backbone_lr_multiplier},
            {"encoder", c.stage2_encoder_lr_multiplier},
            {"temporal", c.stage2_temporal_lr_multiplier},
            {"sdf", c.stage2_sdf_lr_multiplier},
            {"flow", c.stage2_flow_lr_multiplier}};
  return {{"backbone", c.backbone_lr_multiplier},
          {"encoder", c.encoder_lr_multiplier},
          {"temporal", c.temporal_lr_multiplier},
          {"sdf", c.sdf_lr_multiplier},
          {"flow", c.flow_lr_multiplier}};
}

}  // namespace

at::Tensor current_ego_from_camera(const Batch& batch) {
  if (!batch.capture_from_current.defined()) return batch.ego_from_camera;
  return at::matmul(at::inverse(batch.capture_from_current.to(at::kFloat)),
                    batch.ego_from_camera.to(at::kFloat));
}

LetOccFlowModel::LetOccFlowModel(const LetOccFlowConfig& config, const GridSpec& grid)
    : config_(config), grid_(grid), box_(vertex_box(config, grid)) {
  const BackboneOptions backbone_choice = backbone_options(backbone_keys_of(config));
  image_backbone_ = ImageBackbone::attach(
      *this, backbone_choice, backbone_fpn_options(backbone_choice, config.embed_dims, config.num_levels));
  backbone = image_backbone_.backbone;
  neck = image_backbone_.neck;
  encoder = register_module("encoder", TpvEncoder(encoder_options(config), grid));
  const int64_t c = config.embed_dims, e = config.head_dims;
  const TemporalMode mode = parse_temporal_mode(config.temporal, "model.temporal");
  if (mode != TemporalMode::none) {
    TemporalVolumeFusionOptions fusion;
    fusion.mode = mode;
    fusion.embed_dims = c;
    fusion.history_frames = config.temporal_frames;
    fusion.num_heads = config.temporal_heads;
    fusion.num_points = config.temporal_points;
    temporal = register_module("temporal", TemporalVolumeFusion(fusion));
  }
  if (config.refine == "conv_blocks") {
    refine = register_module("refine", torch::nn::ModuleList());
    for (int64_t block = 0; block < 2 * config.refine_layers; ++block)
      refine->push_back(torch::nn::Conv3d(torch::nn::Conv3dOptions(c, c, 3).padding(1)));
    decoder = register_module("decoder", torch::nn::Conv3d(torch::nn::Conv3dOptions(c, e, 1)));
  } else {
    // Stages after the first halve every axis (rounding up); batch norm in
    // training needs more than one voxel at the coarsest one.
    std::array<int64_t, 3> coarsest = config.tpv_shape;
    for (size_t stage = 1; stage < config.refine_blocks.size(); ++stage)
      for (int64_t& size : coarsest) size = (size + 1) / 2;
    if (coarsest[0] * coarsest[1] * coarsest[2] < 2)
      throw UsageError("letoccflow: model.refine_blocks has " + std::to_string(config.refine_blocks.size()) +
                       " stages, which shrink model.tpv_shape to a single voxel (batch norm needs more); "
                       "use fewer stages or a larger TPV");
    resnet3d = register_module("resnet3d", Resnet3d(c, config.refine_blocks));
    fpn3d = register_module("fpn3d", Fpn3d(resnet3d->stage_channels(), c));
    occ_decoder =
        register_module("occ_decoder", OccDecoder(c, static_cast<int64_t>(config.refine_blocks.size()), e));
  }
  // The reference's heads (letoccflow.md, "Fields and rendering").
  sdf_head =
      register_module("sdf_head", torch::nn::Sequential(torch::nn::Softplus(), torch::nn::Linear(e, e),
                                                        torch::nn::Softplus(), torch::nn::Linear(e, 1)));
  flow_head =
      register_module("flow_head", torch::nn::Sequential(torch::nn::Linear(e, e), torch::nn::Softplus(),
                                                         torch::nn::Linear(e, e), torch::nn::Softplus(),
                                                         torch::nn::Linear(e, 2)));
  {
    // Flow starts near zero: last layer N(0, 0.01), bias 0.
    torch::NoGradGuard no_grad;
    auto& last = flow_head->ptr<torch::nn::LinearImpl>(4)->weight;
    torch::nn::init::normal_(last, 0.0, 0.01);
    flow_head->ptr<torch::nn::LinearImpl>(4)->bias.zero_();
  }
  variance =
      register_module("variance", render::NeuSVariance(config.render.inv_s_init, config.render.inv_s_scale));
  // Stage 1 learns no flow; stage 2 keeps the NeuS variance of stage 1. A
  // run that switches stages trains the flow head from the switch on (it
  // has no gradient before) and holds the variance there (on_step).
  if (!config.reaches_stage2())
    for (auto& parameter : flow_head->parameters()) parameter.set_requires_grad(false);
  if (config.stage == 2 && config.stage2_freeze_variance) variance->set_learnable(false);
}

void LetOccFlowModel::load_backbone_weights(const std::string& path) {
  image_backbone_.load_weights(path);
}

at::Tensor LetOccFlowModel::encode_frame(const at::Tensor& images, const at::Tensor& intrinsics,
                                         const at::Tensor& ego_from_camera) {
  const std::vector<at::Tensor> levels = image_backbone_.features(images, "letoccflow model");
  return tpv_to_volume(encoder->forward(levels, intrinsics, ego_from_camera, images.size(3), images.size(4)));
}

at::Tensor LetOccFlowModel::history_volumes(const Batch& batch, const at::Tensor& current) {
  HistoryEncoding encoding;
  encoding.frames = config_.temporal_frames;
  encoding.encoded = encoding.frames;
  const auto& tpv = config_.tpv_shape;
  encoding.volume_shape = {config_.embed_dims, tpv[0], tpv[1], tpv[2]};
  encoding.who = "letoccflow model: model.temporal is " + config_.temporal + ", model";
  // CHOSEN: history frames are encoded at their frame poses
  // (history_ego_from_camera); the batch has no per-camera capture poses for
  // them.
  const HistoryVolumes history = encode_history_volumes(
      batch, encoding, grid_, {backbone.ptr(), neck.ptr(), encoder.ptr()},
      [this](const at::Tensor& images, const at::Tensor& intrinsics, const at::Tensor& ego_from_camera) {
        return encode_frame(images, intrinsics, ego_from_camera);
      });
  // CHOSEN: a missing earlier keyframe (scene start) repeats the nearest
  // later slot, down to the current volume without gradient (the loader
  // repeats the current frame there, as BEVFormer does).
  std::vector<at::Tensor> slots;
  at::Tensor later = current.detach();
  for (int64_t t = 0; t < encoding.frames; ++t) {
    const at::Tensor valid = history.valid.select(1, t).view({current.size(0), 1, 1, 1, 1});
    later = at::where(valid, history.volumes.select(1, t).to(current.dtype()), later);
    slots.push_back(later);
  }
  return at::stack(slots, 1);
}

at::Tensor LetOccFlowModel::refine_volume(const at::Tensor& volume) {
  if (resnet3d) return occ_decoder->forward(fpn3d->forward(resnet3d->forward(volume)));
  at::Tensor refined = volume;
  for (int64_t block = 0; block < config_.refine_layers; ++block) {
    const auto first = static_cast<size_t>(2 * block);
    refined = refined + refine->at<torch::nn::Conv3dImpl>(first + 1).forward(
                            at::relu(refine->at<torch::nn::Conv3dImpl>(first).forward(refined)));
  }
  return decoder->forward(at::relu(refined));
}

ModelOutput LetOccFlowModel::forward(const Batch& batch) {
  const at::Tensor ego_from_camera = current_ego_from_camera(batch);
  const std::vector<at::Tensor> levels = image_backbone_.features(batch.images, "letoccflow model");
  mark_stage(clock_, "backbone");
  at::Tensor volume = tpv_to_volume(encoder->forward(levels, batch.intrinsics, ego_from_camera,
                                                     batch.images.size(3), batch.images.size(4)));
  mark_stage(clock_, "view transformation");
  if (temporal) {
    const at::Tensor history = history_volumes(batch, volume);
    mark_stage(clock_, "history");
    volume = temporal->forward(volume, history);
    mark_stage(clock_, "temporal");
  }
  const at::Tensor features = refine_volume(volume);
  // Resampled onto the vertex grid (align_corners=True: the decoder's corner
  // cells land on the box corners, as the reference's grid_sample), then the
  // heads run per vertex (CHOSEN).
  const auto& v = box_.vertex_shape;
  const at::Tensor vertices = at::upsample_trilinear3d(features, at::IntArrayRef({v[0], v[1], v[2]}), true);
  ModelOutput output;
  at::Tensor sdf = apply_head(sdf_head, vertices);
  if (config_.sdf_ground_prior) {
    const at::Tensor height =
        at::arange(v[2], sdf.options()) * box_.voxel_size_m[2] + (box_.origin_m[2] - config_.ground_z_m);
    sdf = sdf + height.view({1, 1, 1, 1, v[2]});
  }
  output.extras["sdf"] = sdf;
  // Training: the flow of the step's stage; evaluation: of the run's last.
  if (is_training() ? config_.stage_at(step_) == 2 : config_.reaches_stage2())
    output.extras["flow"] = apply_head(flow_head, vertices);
  mark_stage(clock_, "decoder");
  return output;
}

LossTerms LetOccFlowModel::losses(const ModelOutput& output, const Batch& batch) {
  for (const at::Tensor* field :
       {&batch.colour_images, &batch.neighbour_colour_images, &batch.neighbour_valid,
        &batch.neighbour_from_current, &batch.neighbour_ego_from_camera})
    if (!field->defined())
      throw Error("letoccflow: the training batch lacks neighbour frames or colour images");
  const bool with_flow = config_.stage_at(step_) == 2;
  if (with_flow && !batch.flow.defined())
    throw Error("letoccflow stage 2: the training batch lacks flow labels");
  if (config_.lidar && (!batch.lidar_points.defined() || !batch.lidar_origin.defined()))
    throw Error("letoccflow model.lidar: the training batch lacks LiDAR points or their origin");
  const int64_t b = batch.images.size(0), n = batch.images.size(1);
  const int64_t height = batch.images.size(3), width = batch.images.size(4);
  // CHOSEN: the ray grid is clamped to the image (small test images).
  const int64_t rows = std::min(config_.render.ray_rows, height);
  const int64_t cols = std::min(config_.render.ray_cols, width);
  const int64_t samples = config_.render.samples;
  at::Generator generator = render::make_generator(batch_seed(batch, step_));

  const at::Tensor& sdf = output.extras.at("sdf");
  render::FieldVolumes fields{sdf, with_flow ? output.extras.at("flow") : at::Tensor()};
  const at::Tensor pixels = render::ray_grid_pixels(b, height, width, rows, cols, generator).to(sdf.device());
  const at::Tensor jitter = render::ray_jitter(b, n, rows * cols, generator).to(sdf.device());
  const RenderedRays r =
      render_rays(fields, box_, pixels, batch.intrinsics, current_ego_from_camera(batch), samples, jitter,
                  variance->inv_s(), render::cos_anneal_ratio(step_, config_.render.cos_anneal_steps),
                  config_.render.fused);

  // [B, R, ...] -> [B, N, rows, cols, ...] (R is camera-major).
  const auto grid_view = [&](const at::Tensor& t) {
    std::vector<int64_t> shape = {b, n, rows, cols};
    for (int64_t i = 2; i < t.dim(); ++i) shape.push_back(t.size(i));
    return t.reshape(shape);
  };
  const at::Tensor ray_pixels = pixels.unsqueeze(1).expand({b, n, rows, cols, 2});
  const at::Tensor points = grid_view(render::sample_points(r.samples));
  const at::Tensor weights = grid_view(r.out.weights);
  const at::Tensor sample_flow = with_flow ? grid_view(r.out.sample_flow) : at::Tensor();
  const at::Tensor depth = grid_view(render::z_depth(r.out.distance, r.rays.z_per_distance));

  // Sources in the order of the offsets {-1, +1}; camera_from_ego of each is
  // its camera from the current ego frame.
  std::array<losses::PhotometricSource, 2> sources;
  const at::Tensor valid = batch.neighbour_valid;
  for (int64_t s = 0; s < 2; ++s) {
    const int64_t other = 1 - s;
    const at::Tensor own_valid = valid.select(1, s);
    const auto source_field = [&](const at::Tensor& t) {
      return with_stand_in(t.select(1, s), t.select(1, other), own_valid);
    };
    losses::PhotometricSource& source = sources[static_cast<size_t>(s)];
    source.image = source_field(batch.neighbour_colour_images);
    source.intrinsics = source_field(batch.neighbour_intrinsics);
    source.camera_from_ego = at::matmul(at::inverse(source_field(batch.neighbour_ego_from_camera)),
                                        source_field(batch.neighbour_from_current));
    if (with_flow) {
      // The flow is the motion to the next keyframe: +f towards it, -f
      // (constant velocity) towards the previous one; a stand-in source
      // takes the sign of the frame it really is.
      const at::Tensor sign =
          at::where(own_valid, at::full({}, s == 1 ? 1.0 : -1.0), at::full({}, s == 1 ? -1.0 : 1.0))
              .to(sample_flow.options())
              .view({b, 1, 1, 1, 1, 1});
      source.sample_displacement = sample_flow * sign;
    }
  }

  losses::SelfSupervisedTerms terms;
  terms.photometric =
      losses::photometric_loss({batch.colour_images, ray_pixels, points, weights, {sources[0], sources[1]}},
                               losses::photometric_options(config_.loss))
          .loss;
  terms.eikonal = losses::eikonal_loss(render::sdf_gradient_volume(sdf, box_), r.out.sample_gradients);
  terms.hessian = losses::hessian_loss(sdf, box_);
  const at::Tensor shifted = render::shifted_grid_points(box_, generator, sdf.options());
  terms.sparsity_grid =
      losses::sparsity_loss(render::sample_volume(sdf, box_, shifted.expand({b, shifted.size(1), 3})));
  terms.sparsity_beyond = losses::beyond_depth_sparsity_loss(r.out.sample_sdf, r.samples.t, r.out.distance,
                                                             config_.loss.sparsity_beyond_margin_m);
  const at::Tensor colour = render::sample_images(batch.colour_images, ray_pixels);
  terms.disparity_smoothness = losses::disparity_smoothness(depth, colour);

  if (with_flow) {
    const at::Tensor movable =
        batch.movable.defined() ? mask_at_rays(batch.movable, ray_pixels, height, width) : at::Tensor();
    // One direction of optical-flow supervision: neighbour index (offsets
    // {-1, +1}), label index (0: to the next keyframe, 1: to the previous)
    // and the sign of the flow displacement towards that frame.
    const auto direction = [&](int64_t neighbour, int64_t label_index, double sign) {
      FlowSupervision out;
      const at::Tensor intrinsics = batch.neighbour_intrinsics.select(1, neighbour);
      const at::Tensor camera_from_ego =
          at::matmul(at::inverse(batch.neighbour_ego_from_camera.select(1, neighbour)),
                     batch.neighbour_from_current.select(1, neighbour));
      const at::Tensor label =
          render::nearest_at_pixels(batch.flow.select(1, label_index), ray_pixels, height, width);
      const at::Tensor label_valid =
          mask_at_rays(batch.flow_valid.select(1, label_index), ray_pixels, height, width) &
          valid.select(1, neighbour).view({b, 1, 1, 1});
      // Without disentanglement no ray is dynamic: every labelled ray
      // counts alike and keeps its geometry gradient.
      out.dynamic = config_.dynamic_disentanglement
                        ? losses::dynamic_ray_mask(
                              {grid_view(r.out.distance), grid_view(r.rays.origins),
                               grid_view(r.rays.directions), ray_pixels, intrinsics, camera_from_ego, label,
                               label_valid, movable.defined() ? movable : at::ones_like(label_valid)},
                              losses::dynamic_threshold_px_at(config_.loss, static_cast<double>(width)))
                        : at::zeros_like(label_valid);
      const at::Tensor dynamic = out.dynamic;
      out.loss = [&, sign, intrinsics, camera_from_ego, label, label_valid, dynamic] {
        return losses::optical_flow_loss({ray_pixels, points, sample_flow * sign, weights, intrinsics,
                                          camera_from_ego, label, label_valid, dynamic},
                                         losses::flow_loss_options(config_.loss))
            .loss;
      };
      return out;
    };
    const std::string& mode = config_.flow_supervision;
    std::vector<FlowSupervision> directions;
    if (mode != "backward")
      directions.push_back(direction(1, 0, 1.0));  // forward, or the dynamic rays of "none"
    if (mode == "backward" || mode == "both") directions.push_back(direction(0, 1, -1.0));
    at::Tensor dynamic = directions.front().dynamic;
    for (size_t k = 1; k < directions.size(); ++k) dynamic = dynamic | directions[k].dynamic;
    if (mode != "none") {
      at::Tensor total = directions.front().loss();
      for (size_t k = 1; k < directions.size(); ++k) total = total + directions[k].loss();
      terms.flow = total / static_cast<double>(directions.size());
    }
    const at::Tensor rendered_flow = grid_view(r.out.flow);
    // L_dreg asks the static rays for zero flow: without disentanglement
    // there are no static rays to tell apart, so it is off.
    if (config_.dynamic_disentanglement)
      terms.flow_regularisation =
          losses::flow_regularisation(rendered_flow, dynamic, sample_flow, weights,
                                      config_.loss.dreg_sample_weight, config_.loss.dreg_max_render_weight);
    terms.flow_smoothness = losses::flow_smoothness(rendered_flow, colour);
  }
  if (!with_flow && config_.reaches_stage2()) {
    // Stage 1 of a switching run: the stage-2 terms are 0 (not left out), so
    // the log keeps one set of columns through the switch.
    const at::Tensor zero = at::zeros({}, sdf.options());
    if (config_.flow_supervision != "none") terms.flow = zero;
    if (config_.dynamic_disentanglement) terms.flow_regularisation = zero;
    terms.flow_smoothness = zero;
  }
  if (config_.lidar)
    terms.lidar = lidar_range_loss(sdf, batch, generator, variance->inv_s(),
                                   render::cos_anneal_ratio(step_, config_.render.cos_anneal_steps));
  return losses::self_supervised_terms(terms, config_.loss);
}

at::Tensor LetOccFlowModel::lidar_range_loss(const at::Tensor& sdf, const Batch& batch,
                                             at::Generator generator, const at::Tensor& inv_s,
                                             double anneal) const {
  // L_range (paper Eq. 12; SelfOcc's LiDAR term): the LiDAR rays from the
  // sensor origin towards the drawn points, rendered on the SDF field; SILog
  // between the rendered and the measured range, over points inside the box
  // (CHOSEN: a point outside it cannot be rendered).
  const render::LidarRays rays = render::lidar_rays(batch.lidar_points.to(sdf.scalar_type()),
                                                    batch.lidar_origin.to(sdf.scalar_type()), box_);
  const int64_t b = rays.range.size(0), count = rays.range.size(1);
  const at::Tensor jitter = render::ray_jitter(b, 1, count, generator).to(sdf.device());
  const render::RaySamples samples = render::stratified_samples(rays.origins, rays.directions, rays.near,
                                                                rays.far, config_.render.samples, jitter);
  const render::RenderOutput out =
      render::render_neus({sdf, at::Tensor()}, box_, samples, inv_s, anneal, config_.render.fused);
  const at::Tensor range =
      config_.depth_over_opacity ? out.distance / out.opacity.clamp_min(1e-4) : out.distance;
  const at::Tensor inside =
      batch.lidar_valid.to(at::kBool) & rays.hit & (rays.range > rays.near) & (rays.range < rays.far);
  return losses::silog_loss(range, rays.range, inside, config_.loss.silog_lambda);
}

void LetOccFlowModel::on_step(int64_t step) {
  step_ = step;
  if (config_.stage2_from_step == 0 || config_.stage_at(step) != 2 || !config_.stage2_freeze_variance) return;
  // Stage 2 of a switching run: the variance is held at its value at the
  // switch (also on a resumed run, whose file holds that value). Without a
  // gradient AdamW skips it; holding the value also covers a zero gradient
  // that data parallelism fills in (its weight decay would move it).
  torch::NoGradGuard no_grad;
  if (!held_variance_.defined()) {
    variance->set_learnable(false);
    variance->variance.mutable_grad() = at::Tensor();
    held_variance_ = variance->variance.detach().clone();
  }
  variance->variance.copy_(held_variance_);
}

std::map<std::string, double> LetOccFlowModel::lr_multipliers_at(int64_t step) const {
  if (config_.stage2_from_step == 0) return {};
  return stage_lr_multipliers(config_, config_.stage_at(step));
}

std::vector<ParameterGroup> LetOccFlowModel::parameter_groups() {
  const std::map<std::string, double> multipliers = stage_lr_multipliers(config_, config_.stage);
  ParameterGroup image{"backbone", {}, multipliers.at("backbone")};
  ParameterGroup encoder_group{"encoder", {}, multipliers.at("encoder")};
  ParameterGroup temporal_group{"temporal", {}, multipliers.at("temporal")};
  ParameterGroup sdf_group{"sdf", {}, multipliers.at("sdf")};
  ParameterGroup flow_group{"flow", {}, multipliers.at("flow")};
  const auto starts = [](const std::string& key, const char* prefix) { return key.rfind(prefix, 0) == 0; };
  for (const auto& item : named_parameters()) {
    if (!item.value().requires_grad()) continue;
    const std::string& key = item.key();
    if (starts(key, "backbone.")) {
      image.parameters.push_back(item.value());
    } else if (starts(key, "temporal.")) {
      temporal_group.parameters.push_back(item.value());
    } else if (starts(key, "flow_head.")) {
      flow_group.parameters.push_back(item.value());
    } else if (starts(key, "sdf_head.") || starts(key, "variance.")) {
      sdf_group.parameters.push_back(item.value());
    } else {
      encoder_group.parameters.push_back(item.value());
    }
  }
  std::vector<ParameterGroup> groups;
  for (ParameterGroup* group : {&image, &encoder_group, &temporal_group, &sdf_group, &flow_group})
    if (!group->parameters.empty()) groups.push_back(std::move(*group));
  return groups;
}

Prediction LetOccFlowModel::predict(const ModelOutput& output, const Batch& batch,
                                    const PredictionRequest& request) const {
  at::NoGradGuard no_grad;
  const at::Tensor& sdf = output.extras.at("sdf");
  const int64_t b = batch.size();
  const auto [x, y, z] = grid_.shape;
  // Voxel centres of the output grid, read from the vertex grid.
  std::array<at::Tensor, 3> axes;
  for (size_t axis = 0; axis < 3; ++axis)
    axes[axis] =
        (at::arange(grid_.shape[axis], at::kDouble) + 0.5) * grid_.voxel_size_m[axis] + grid_.origin_m[axis];
  const at::Tensor centres =
      at::stack({axes[0].view({x, 1, 1}).expand({x, y, z}), axes[1].view({1, y, 1}).expand({x, y, z}),
                 axes[2].view({1, 1, z}).expand({x, y, z})},
                -1)
          .reshape({1, x * y * z, 3})
          .to(sdf.options())
          .expand({b, x * y * z, 3});
  Prediction prediction;
  prediction.sdf = render::sample_volume(sdf, box_, centres).view({b, x, y, z}).to(at::kFloat).cpu();
  // Geometry only: occupied voxels get class 0, or class 1 where 0 is the
  // free class (SemanticKITTI's class set), so occupied and free differ.
  const int64_t occupied_class = grid_.free_class == 0 ? 1 : 0;
  prediction.semantics =
      at::where(prediction.sdf <= config_.occupied_sdf, at::full({}, occupied_class, at::kByte),
                at::full({}, grid_.free_class, at::kByte))
          .to(at::kByte);
  const int64_t border = config_.free_border_voxels;
  if (border > 0) {
    // LOF's evaluation border: the outer voxels along x and y are free.
    for (const int64_t axis : {int64_t{1}, int64_t{2}}) {
      const int64_t size = prediction.semantics.size(axis), width = std::min(border, size);
      prediction.semantics.narrow(axis, 0, width).fill_(grid_.free_class);
      prediction.semantics.narrow(axis, size - width, width).fill_(grid_.free_class);
    }
  }
  if (config_.free_above_z_index > 0 && config_.free_above_z_index < z) {
    // LOF's KITTI evaluation: everything from this z index up is free.
    prediction.semantics.narrow(3, config_.free_above_z_index, z - config_.free_above_z_index)
        .fill_(grid_.free_class);
  }
  if (output.extras.count("flow") > 0) {
    // Displacement per keyframe step -> m/s.
    prediction.flow =
        (render::sample_volume(output.extras.at("flow"), box_, centres) / config_.keyframe_interval_s)
            .view({b, x, y, z, 2})
            .to(at::kFloat)
            .cpu();
  }
  const bool rendered_flow = request.wants(kRenderedFlow);
  if (rendered_flow && output.extras.count("flow") == 0)
    throw UsageError("--rendered-flow: this Let Occ Flow model has no flow field (a stage-1 model)");
  if (request.depth || rendered_flow) {
    // Rays on a grid every depth_render_stride pixels spanning the image
    // corners, rendered per camera and upsampled bilinearly (align_corners:
    // exact at the rendered pixels; stride 1 renders every pixel).
    const int64_t n = batch.images.size(1), height = batch.images.size(3), width = batch.images.size(4);
    const auto count = [&](int64_t size) {
      return std::min(
          size, std::max<int64_t>(2, (size + config_.depth_render_stride - 1) / config_.depth_render_stride));
    };
    const int64_t rows = count(height), cols = count(width);
    const at::Tensor v = at::linspace(0.0, static_cast<double>(height - 1), rows, at::kFloat);
    const at::Tensor u = at::linspace(0.0, static_cast<double>(width - 1), cols, at::kFloat);
    const at::Tensor pixels =
        at::stack({u.view({1, cols}).expand({rows, cols}), v.view({rows, 1}).expand({rows, cols})}, -1)
            .unsqueeze(0)
            .expand({b, rows, cols, 2})
            .to(sdf.device());
    const at::Tensor ego_from_camera = current_ego_from_camera(batch);
    render::FieldVolumes fields{sdf, rendered_flow ? output.extras.at("flow") : at::Tensor()};
    // No jitter at prediction: samples at the middle of their bins.
    const at::Tensor jitter = at::full({b, rows * cols}, 0.5, sdf.options());
    std::vector<at::Tensor> depths, flows;
    for (int64_t camera = 0; camera < n; ++camera) {
      const RenderedRays r = render_rays(fields, box_, pixels, batch.intrinsics.narrow(1, camera, 1),
                                         ego_from_camera.narrow(1, camera, 1), config_.render.samples, jitter,
                                         variance->inv_s(), 1.0, config_.render.fused);
      // CHOSEN (model.depth_over_opacity): depth and flow are expectations
      // under the weights renormalised by the ray's opacity, so a point
      // moved by its flow stays the point at its depth.
      const at::Tensor opacity = r.out.opacity.clamp_min(1e-4);
      const at::Tensor distance = config_.depth_over_opacity ? r.out.distance / opacity : r.out.distance;
      depths.push_back(render::z_depth(distance, r.rays.z_per_distance).view({b, 1, rows, cols}));
      if (rendered_flow) {
        // The weighted sum of the samples' BEV flow (reference/letoccflow.md,
        // "Fields and rendering": flow = sum w_i f_i), metres along ego x, y.
        const at::Tensor flow = config_.depth_over_opacity ? r.out.flow / opacity.unsqueeze(-1) : r.out.flow;
        flows.push_back(flow.view({b, 1, rows, cols, 2}));
      }
    }
    const auto upsampled = [&](at::Tensor maps) {  // [B, N * K, rows, cols] at the image size
      if (rows != height || cols != width)
        maps = at::upsample_bilinear2d(maps, at::IntArrayRef({height, width}), true);
      return maps;
    };
    if (request.depth) prediction.depth = upsampled(at::cat(depths, 1)).to(at::kFloat).cpu();
    if (rendered_flow) {
      // [B, N, rows, cols, 2] -> [B, N * 2, rows, cols] for the upsampling, and back.
      const at::Tensor flow = at::cat(flows, 1).permute({0, 1, 4, 2, 3}).reshape({b, n * 2, rows, cols});
      prediction.extras[kRenderedFlowDataset] = upsampled(flow)
                                                    .view({b, n, 2, height, width})
                                                    .permute({0, 1, 3, 4, 2})
                                                    .contiguous()
                                                    .to(at::kFloat)
                                                    .cpu();
    }
  }
  return prediction;
}

ModelKind letoccflow_kind(const KindDescription& description) {
  ModelKind kind(description);
  kind.inputs = [](const nlohmann::json& config) {
    const LetOccFlowConfig parsed = LetOccFlowConfig::from_json(config);
    ModelInputs inputs;
    inputs.neighbour_offsets = {-1, 1};
    inputs.previous_source_max_distance_m = parsed.source_max_distance_m;
    inputs.colour_images = true;
    inputs.capture_poses = true;
    inputs.sample_seeds = true;
    inputs.flow_labels = parsed.reaches_stage2();
    inputs.lidar_points = parsed.lidar ? static_cast<int>(parsed.render.lidar_rays) : 0;
    if (parsed.temporal != "none") inputs.history_frames = static_cast<int>(parsed.temporal_frames);
    return inputs;
  };
  kind.sizes = letoccflow_sizes();
  kind.default_config = letoccflow_default_config;
  kind.create = [](const nlohmann::json& config, const GridSpec& grid) -> std::shared_ptr<OccupancyModel> {
    return std::make_shared<LetOccFlowModel>(LetOccFlowConfig::from_json(config), grid);
  };
  kind.supervision = Supervision::self_supervised;
  kind.validation = {"depth"};
  kind.outputs = [](const nlohmann::json& config) {
    ModelOutputs outputs;
    outputs.depth = true;
    outputs.sdf = true;
    outputs.flow = LetOccFlowConfig::from_json(config).reaches_stage2();
    outputs.geometry_only = true;
    if (outputs.flow) {
      outputs.extras.push_back(kRenderedFlow);
    } else {
      outputs.extras_unavailable = "a stage-1 model has no flow field to render";
    }
    return outputs;
  };
  kind.tiny_settings = letoccflow_tiny_settings();
  return kind;
}

}  // namespace occ::models
