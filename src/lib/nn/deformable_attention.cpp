#include "nn/deformable_attention.h"

#include "nn/shape_text.h"

#include <ATen/record_function.h>

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/nn/init.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace occ::nn {
namespace {

constexpr double kPi = 3.14159265358979323846;

[[noreturn]] void fail(const std::string& message) {
  throw DeformableAttentionError("deformable attention: " + message);
}

// The sizes every MSDA entry point agrees on, read once from the inputs.
struct MsdaDims {
  int64_t batch = 0;
  int64_t values = 0;  // S
  int64_t heads = 0;
  int64_t head_dims = 0;
  int64_t queries = 0;
  int64_t levels = 0;
  int64_t points = 0;
  std::vector<int64_t> heights;
  std::vector<int64_t> widths;
  std::vector<int64_t> starts;
};

MsdaDims check_inputs(const at::Tensor& value, const at::Tensor& spatial_shapes,
                      const at::Tensor& level_start_index, const at::Tensor& sampling_locations,
                      const at::Tensor& attention_weights) {
  if (!value.defined() || !spatial_shapes.defined() || !level_start_index.defined() ||
      !sampling_locations.defined() || !attention_weights.defined())
    fail("an input tensor is undefined");
  if (value.dim() != 4) fail("value must be [B, S, heads, C/heads], got " + nn::shape_text(value));
  if (spatial_shapes.dim() != 2 || spatial_shapes.size(1) != 2 || spatial_shapes.scalar_type() != at::kLong)
    fail("spatial_shapes must be int64 [levels, 2], got " + nn::shape_text(spatial_shapes));
  MsdaDims dims;
  dims.batch = value.size(0);
  dims.values = value.size(1);
  dims.heads = value.size(2);
  dims.head_dims = value.size(3);
  dims.levels = spatial_shapes.size(0);
  if (dims.levels < 1) fail("spatial_shapes has no levels");
  if (level_start_index.dim() != 1 || level_start_index.size(0) != dims.levels ||
      level_start_index.scalar_type() != at::kLong)
    fail("level_start_index must be int64 [" + std::to_string(dims.levels) + "], got " +
         nn::shape_text(level_start_index));
  if (sampling_locations.dim() != 6 || sampling_locations.size(0) != dims.batch ||
      sampling_locations.size(2) != dims.heads || sampling_locations.size(3) != dims.levels ||
      sampling_locations.size(5) != 2)
    fail("sampling_locations must be [B, Q, heads, levels, points, 2] = [" + std::to_string(dims.batch) +
         ", Q, " + std::to_string(dims.heads) + ", " + std::to_string(dims.levels) + ", points, 2], got " +
         nn::shape_text(sampling_locations));
  dims.queries = sampling_locations.size(1);
  dims.points = sampling_locations.size(4);
  if (attention_weights.sizes() != sampling_locations.sizes().slice(0, 5))
    fail("attention_weights must be [B, Q, heads, levels, points] = " +
         nn::shape_text(sampling_locations.select(5, 0)) + ", got " + nn::shape_text(attention_weights));
  if (value.scalar_type() != sampling_locations.scalar_type() ||
      value.scalar_type() != attention_weights.scalar_type())
    fail("value, sampling_locations and attention_weights must share one dtype");
  if (value.device() != sampling_locations.device() || value.device() != attention_weights.device())
    fail("value, sampling_locations and attention_weights must be on one device");

  const at::Tensor shapes_cpu = spatial_shapes.to(at::kCPU).contiguous();
  const at::Tensor starts_cpu = level_start_index.to(at::kCPU).contiguous();
  const int64_t* shape_data = shapes_cpu.data_ptr<int64_t>();
  const int64_t* start_data = starts_cpu.data_ptr<int64_t>();
  int64_t expected_start = 0;
  for (int64_t level = 0; level < dims.levels; ++level) {
    const int64_t height = shape_data[2 * level];
    const int64_t width = shape_data[2 * level + 1];
    if (height < 1 || width < 1)
      fail("level " + std::to_string(level) + " has an empty shape " + std::to_string(height) + "x" +
           std::to_string(width));
    if (start_data[level] != expected_start)
      fail("level_start_index[" + std::to_string(level) + "] is " + std::to_string(start_data[level]) +
           " but the levels before it hold " + std::to_string(expected_start) + " values");
    dims.heights.push_back(height);
    dims.widths.push_back(width);
    dims.starts.push_back(expected_start);
    expected_start += height * width;
  }
  if (expected_start != dims.values)
    fail("value holds " + std::to_string(dims.values) + " positions but the levels' H*W sum to " +
         std::to_string(expected_start));
  return dims;
}

// One bilinear sample in pixel coordinates of a level, following
// grid_sample(align_corners=False, padding_mode=zeros): the four neighbours
// with their weights; neighbours outside the level are flagged and add 0.
struct BilinearCorners {
  int64_t offset[4] = {0, 0, 0, 0};  // row-major index of the corner in its level
  bool inside[4] = {false, false, false, false};
  double weight[4] = {0, 0, 0, 0};
  double weight_dx[4] = {0, 0, 0, 0};  // d weight / d x (pixels)
  double weight_dy[4] = {0, 0, 0, 0};  // d weight / d y (pixels)
  bool any_inside = false;
};

// location_x/y in [0, 1] over the level; align_corners=False maps them to
// pixel x = location_x * W - 0.5 (pixel centres at integer + 0.5 edges).
BilinearCorners bilinear_corners(double location_x, double location_y, int64_t height, int64_t width) {
  BilinearCorners corners;
  const double x = location_x * static_cast<double>(width) - 0.5;
  const double y = location_y * static_cast<double>(height) - 0.5;
  // Strict bounds: at x == -1 the right neighbour (column 0) still has a
  // weight whose derivative is non-zero, as in grid_sample's backward.
  if (!(x >= -1.0 && y >= -1.0 && x < static_cast<double>(width) && y < static_cast<double>(height)))
    return corners;
  const double x0 = std::floor(x);
  const double y0 = std::floor(y);
  const double fx = x - x0;
  const double fy = y - y0;
  const int64_t column0 = static_cast<int64_t>(x0);
  const int64_t row0 = static_cast<int64_t>(y0);
  const int64_t columns[4] = {column0, column0 + 1, column0, column0 + 1};
  const int64_t rows[4] = {row0, row0, row0 + 1, row0 + 1};
  const double weights[4] = {(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx};
  const double weights_dx[4] = {-(1 - fy), 1 - fy, -fy, fy};
  const double weights_dy[4] = {-(1 - fx), -fx, 1 - fx, fx};
  for (int corner = 0; corner < 4; ++corner) {
    const bool inside =
        columns[corner] >= 0 && columns[corner] < width && rows[corner] >= 0 && rows[corner] < height;
    corners.inside[corner] = inside;
    if (!inside) continue;
    corners.any_inside = true;
    corners.offset[corner] = rows[corner] * width + columns[corner];
    corners.weight[corner] = weights[corner];
    corners.weight_dx[corner] = weights_dx[corner];
    corners.weight_dy[corner] = weights_dy[corner];
  }
  return corners;
}

// Forward: one task per (batch, query, head) output vector; each writes only
// its own C/heads outputs, so the loop needs no synchronisation.
template <typename Scalar>
void fused_forward_kernel(const MsdaDims& dims, const Scalar* value, const Scalar* locations,
                          const Scalar* weights, Scalar* output) {
  const int64_t tasks = dims.batch * dims.queries * dims.heads;
  const int64_t channels = dims.head_dims;
  // Grain: enough (query, head) vectors per chunk to amortise the dispatch.
  at::parallel_for(0, tasks, 64, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t head = task % dims.heads;
      const int64_t batch = task / (dims.queries * dims.heads);
      Scalar* out = output + task * channels;
      for (int64_t channel = 0; channel < channels; ++channel) out[channel] = 0;
      for (int64_t level = 0; level < dims.levels; ++level) {
        const Scalar* level_value =
            value + ((batch * dims.values + dims.starts[level]) * dims.heads + head) * channels;
        const int64_t row_stride = dims.heads * channels;
        for (int64_t point = 0; point < dims.points; ++point) {
          const int64_t sample = (task * dims.levels + level) * dims.points + point;
          const Scalar attention = weights[sample];
          const BilinearCorners corners = bilinear_corners(static_cast<double>(locations[2 * sample]),
                                                           static_cast<double>(locations[2 * sample + 1]),
                                                           dims.heights[level], dims.widths[level]);
          if (!corners.any_inside) continue;
          for (int corner = 0; corner < 4; ++corner) {
            if (!corners.inside[corner]) continue;
            const Scalar factor = attention * static_cast<Scalar>(corners.weight[corner]);
            const Scalar* v = level_value + corners.offset[corner] * row_stride;
            for (int64_t channel = 0; channel < channels; ++channel) out[channel] += factor * v[channel];
          }
        }
      }
    }
  });
}

// Returns <grad, v> and adds scale * grad to grad_value, in one pass over the
// channels. The dot product keeps kLanes partial sums: without -ffast-math
// the compiler may not reorder one float accumulator, and independent lanes
// let it vectorise.
template <typename Scalar>
Scalar dot_and_scatter(const Scalar* grad, const Scalar* v, Scalar scale, Scalar* grad_value,
                       int64_t channels) {
  constexpr int64_t kLanes = 8;
  Scalar partial[kLanes] = {};
  int64_t channel = 0;
  for (; channel + kLanes <= channels; channel += kLanes)
    for (int64_t lane = 0; lane < kLanes; ++lane) {
      partial[lane] += grad[channel + lane] * v[channel + lane];
      grad_value[channel + lane] += scale * grad[channel + lane];
    }
  for (; channel < channels; ++channel) {
    partial[0] += grad[channel] * v[channel];
    grad_value[channel] += scale * grad[channel];
  }
  Scalar dot = 0;
  for (int64_t lane = 0; lane < kLanes; ++lane) dot += partial[lane];
  return dot;
}

// Backward of output[b, q, h, :] = sum_{l,p} a * sum_corners w_c * v_c:
//   d a   = <g, sample>
//   d v_c += a * w_c * g                       (scatter into value)
//   d x   = a * sum_c (d w_c / d x) <g, v_c> * W   (x = location_x * W - 0.5)
//   d y   = a * sum_c (d w_c / d y) <g, v_c> * H
// One task per (batch, head): the value gradient of a (batch, head) pair is
// written by that task alone, so the scatter needs no atomics and the result
// is deterministic.
template <typename Scalar>
void fused_backward_kernel(const MsdaDims& dims, const Scalar* value, const Scalar* locations,
                           const Scalar* weights, const Scalar* grad_output, Scalar* grad_value,
                           Scalar* grad_locations, Scalar* grad_weights) {
  const int64_t channels = dims.head_dims;
  const int64_t row_stride = dims.heads * channels;
  at::parallel_for(0, dims.batch * dims.heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t pair = begin; pair < end; ++pair) {
      const int64_t batch = pair / dims.heads;
      const int64_t head = pair % dims.heads;
      for (int64_t query = 0; query < dims.queries; ++query) {
        const int64_t task = (batch * dims.queries + query) * dims.heads + head;
        const Scalar* grad = grad_output + task * channels;
        for (int64_t level = 0; level < dims.levels; ++level) {
          const int64_t level_base =
              ((batch * dims.values + dims.starts[level]) * dims.heads + head) * channels;
          for (int64_t point = 0; point < dims.points; ++point) {
            const int64_t sample = (task * dims.levels + level) * dims.points + point;
            const Scalar attention = weights[sample];
            const BilinearCorners corners = bilinear_corners(static_cast<double>(locations[2 * sample]),
                                                             static_cast<double>(locations[2 * sample + 1]),
                                                             dims.heights[level], dims.widths[level]);
            double grad_attention = 0;
            double grad_x = 0;
            double grad_y = 0;
            for (int corner = 0; corner < 4; ++corner) {
              if (!corners.inside[corner]) continue;
              const int64_t at_corner = level_base + corners.offset[corner] * row_stride;
              const Scalar* v = value + at_corner;
              Scalar* gv = grad_value + at_corner;
              const Scalar scatter = attention * static_cast<Scalar>(corners.weight[corner]);
              const Scalar dot = dot_and_scatter(grad, v, scatter, gv, channels);
              grad_attention += corners.weight[corner] * static_cast<double>(dot);
              grad_x += corners.weight_dx[corner] * static_cast<double>(dot);
              grad_y += corners.weight_dy[corner] * static_cast<double>(dot);
            }
            grad_weights[sample] = static_cast<Scalar>(grad_attention);
            grad_locations[2 * sample] = static_cast<Scalar>(static_cast<double>(attention) * grad_x *
                                                             static_cast<double>(dims.widths[level]));
            grad_locations[2 * sample + 1] = static_cast<Scalar>(static_cast<double>(attention) * grad_y *
                                                                 static_cast<double>(dims.heights[level]));
          }
        }
      }
    }
  });
}

void require_fused_dtype_and_device(const at::Tensor& value) {
  if (!value.device().is_cpu())
    fail("the fused kernel runs on the CPU only, value is on " + value.device().str() +
         " (use msda_reference)");
  if (value.scalar_type() != at::kFloat && value.scalar_type() != at::kDouble)
    fail(std::string("the fused kernel takes float or double, got ") + at::toString(value.scalar_type()));
}

at::Tensor fused_forward(const at::Tensor& value_in, const at::Tensor& spatial_shapes,
                         const at::Tensor& level_start_index, const at::Tensor& locations_in,
                         const at::Tensor& weights_in) {
  const MsdaDims dims = check_inputs(value_in, spatial_shapes, level_start_index, locations_in, weights_in);
  require_fused_dtype_and_device(value_in);
  const at::Tensor value = value_in.contiguous();
  const at::Tensor locations = locations_in.contiguous();
  const at::Tensor weights = weights_in.contiguous();
  at::Tensor output = at::empty({dims.batch, dims.queries, dims.heads * dims.head_dims}, value.options());
  AT_DISPATCH_FLOATING_TYPES(value.scalar_type(), "msda_fused_forward", [&] {
    fused_forward_kernel<scalar_t>(dims, value.data_ptr<scalar_t>(), locations.data_ptr<scalar_t>(),
                                   weights.data_ptr<scalar_t>(), output.data_ptr<scalar_t>());
  });
  return output;
}

class FusedMsdaFunction : public torch::autograd::Function<FusedMsdaFunction> {
 public:
  static at::Tensor forward(torch::autograd::AutogradContext* context, const at::Tensor& value,
                            const at::Tensor& spatial_shapes, const at::Tensor& level_start_index,
                            const at::Tensor& sampling_locations, const at::Tensor& attention_weights) {
    context->save_for_backward(
        {value, spatial_shapes, level_start_index, sampling_locations, attention_weights});
    return fused_forward(value, spatial_shapes, level_start_index, sampling_locations, attention_weights);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list grad_outputs) {
    // The engine runs backward with grad mode on only for create_graph=true;
    // this backward is raw loops, so a second derivative would silently be 0.
    if (at::GradMode::is_enabled())
      fail("the fused kernel has no double backward (create_graph=true); use msda_reference");
    const auto saved = context->get_saved_variables();
    const at::Tensor value = saved[0].contiguous();
    const at::Tensor locations = saved[3].contiguous();
    const at::Tensor weights = saved[4].contiguous();
    const MsdaDims dims = check_inputs(value, saved[1], saved[2], locations, weights);
    const at::Tensor grad_output = grad_outputs[0].contiguous();
    at::Tensor grad_value = at::zeros_like(value);
    at::Tensor grad_locations = at::empty_like(locations);
    at::Tensor grad_weights = at::empty_like(weights);
    AT_DISPATCH_FLOATING_TYPES(value.scalar_type(), "msda_fused_backward", [&] {
      fused_backward_kernel<scalar_t>(dims, value.data_ptr<scalar_t>(), locations.data_ptr<scalar_t>(),
                                      weights.data_ptr<scalar_t>(), grad_output.data_ptr<scalar_t>(),
                                      grad_value.data_ptr<scalar_t>(), grad_locations.data_ptr<scalar_t>(),
                                      grad_weights.data_ptr<scalar_t>());
    });
    return {grad_value, at::Tensor(), at::Tensor(), grad_locations, grad_weights};
  }
};

}  // namespace

at::Tensor msda_reference(const at::Tensor& value, const at::Tensor& spatial_shapes,
                          const at::Tensor& level_start_index, const at::Tensor& sampling_locations,
                          const at::Tensor& attention_weights) {
  const MsdaDims dims =
      check_inputs(value, spatial_shapes, level_start_index, sampling_locations, attention_weights);
  const int64_t batch_heads = dims.batch * dims.heads;
  // grid_sample wants grid coordinates in [-1, 1].
  const at::Tensor grids = sampling_locations * 2 - 1;
  std::vector<at::Tensor> sampled_levels;
  sampled_levels.reserve(static_cast<size_t>(dims.levels));
  for (int64_t level = 0; level < dims.levels; ++level) {
    const int64_t height = dims.heights[level];
    const int64_t width = dims.widths[level];
    // [B, H*W, heads, D] -> [B*heads, D, H, W]
    const at::Tensor level_value = value.narrow(1, dims.starts[level], height * width)
                                       .flatten(2)
                                       .transpose(1, 2)
                                       .reshape({batch_heads, dims.head_dims, height, width});
    // [B, Q, heads, points, 2] -> [B*heads, Q, points, 2]
    const at::Tensor level_grid = grids.select(3, level).transpose(1, 2).flatten(0, 1);
    // [B*heads, D, Q, points]; modes 0/0 = bilinear / zeros padding.
    sampled_levels.push_back(at::grid_sampler(level_value, level_grid, 0, 0, false));
  }
  // [B*heads, D, Q, levels*points]
  const at::Tensor sampled = at::stack(sampled_levels, -2).flatten(-2);
  // [B, Q, heads, levels, points] -> [B*heads, 1, Q, levels*points]
  const at::Tensor weights =
      attention_weights.transpose(1, 2).reshape({batch_heads, 1, dims.queries, dims.levels * dims.points});
  return (sampled * weights)
      .sum(-1)
      .view({dims.batch, dims.heads * dims.head_dims, dims.queries})
      .transpose(1, 2)
      .contiguous();
}

at::Tensor msda_fused(const at::Tensor& value, const at::Tensor& spatial_shapes,
                      const at::Tensor& level_start_index, const at::Tensor& sampling_locations,
                      const at::Tensor& attention_weights) {
  // Check before entering autograd so errors name the caller's shapes.
  check_inputs(value, spatial_shapes, level_start_index, sampling_locations, attention_weights);
  require_fused_dtype_and_device(value);
  // Named for profilers and nn::FlopCounter.
  RECORD_FUNCTION("occ::msda", std::vector<c10::IValue>({value, spatial_shapes, level_start_index,
                                                         sampling_locations, attention_weights}));
  return FusedMsdaFunction::apply(value, spatial_shapes, level_start_index, sampling_locations,
                                  attention_weights);
}

LevelLayout make_level_layout(const std::vector<std::pair<int64_t, int64_t>>& shapes_hw) {
  if (shapes_hw.empty()) fail("no levels given");
  const auto levels = static_cast<int64_t>(shapes_hw.size());
  LevelLayout layout{at::empty({levels, 2}, at::kLong), at::empty({levels}, at::kLong)};
  int64_t* shapes = layout.spatial_shapes.data_ptr<int64_t>();
  int64_t* starts = layout.level_start_index.data_ptr<int64_t>();
  int64_t start = 0;
  for (int64_t level = 0; level < levels; ++level) {
    const auto& [height, width] = shapes_hw[static_cast<size_t>(level)];
    if (height < 1 || width < 1)
      fail("level " + std::to_string(level) + " has an empty shape " + std::to_string(height) + "x" +
           std::to_string(width));
    shapes[2 * level] = height;
    shapes[2 * level + 1] = width;
    starts[level] = start;
    start += height * width;
  }
  return layout;
}

MultiScaleDeformableAttentionImpl::MultiScaleDeformableAttentionImpl(
    const MultiScaleDeformableAttentionOptions& options)
    : options_(options) {
  if (options_.embed_dims < 1 || options_.num_heads < 1 || options_.num_levels < 1 || options_.num_points < 1)
    fail("embed_dims, num_heads, num_levels and num_points must be positive");
  if (options_.embed_dims % options_.num_heads != 0)
    fail("embed_dims " + std::to_string(options_.embed_dims) + " is not divisible by num_heads " +
         std::to_string(options_.num_heads));
  const int64_t samples = options_.num_heads * options_.num_levels * options_.num_points;
  sampling_offsets = register_module("sampling_offsets", torch::nn::Linear(options_.embed_dims, samples * 2));
  attention_weights = register_module("attention_weights", torch::nn::Linear(options_.embed_dims, samples));
  value_proj = register_module("value_proj", torch::nn::Linear(options_.embed_dims, options_.embed_dims));
  output_proj = register_module("output_proj", torch::nn::Linear(options_.embed_dims, options_.embed_dims));
  reset_parameters();
}

at::Tensor deformable_detr_offset_grid(int64_t heads, int64_t levels, int64_t points) {
  const at::Tensor angles = at::arange(heads, at::kDouble) * (2.0 * kPi / static_cast<double>(heads));
  at::Tensor directions = at::stack({angles.cos(), angles.sin()}, -1);
  directions = directions / std::get<0>(directions.abs().max(-1, true));
  at::Tensor grid = directions.view({heads, 1, 1, 2}).repeat({1, levels, points, 1});
  for (int64_t point = 0; point < points; ++point) grid.select(2, point).mul_(static_cast<double>(point + 1));
  return grid;
}

void reset_deformable_linears(torch::nn::Linear& sampling_offsets, const at::Tensor& offset_bias,
                              torch::nn::Linear& attention_weights, torch::nn::Linear& value_proj,
                              torch::nn::Linear& output_proj) {
  torch::NoGradGuard no_grad;
  sampling_offsets->weight.zero_();
  sampling_offsets->bias.copy_(offset_bias.flatten());
  attention_weights->weight.zero_();
  attention_weights->bias.zero_();
  torch::nn::init::xavier_uniform_(value_proj->weight);
  value_proj->bias.zero_();
  torch::nn::init::xavier_uniform_(output_proj->weight);
  output_proj->bias.zero_();
}

void MultiScaleDeformableAttentionImpl::reset_parameters() {
  reset_deformable_linears(
      sampling_offsets,
      deformable_detr_offset_grid(options_.num_heads, options_.num_levels, options_.num_points),
      attention_weights, value_proj, output_proj);
}

MultiScaleDeformableAttentionOutput MultiScaleDeformableAttentionImpl::forward(
    const at::Tensor& query, const at::Tensor& reference_points, const at::Tensor& value,
    const at::Tensor& spatial_shapes, const at::Tensor& level_start_index,
    const at::Tensor& value_padding_mask) {
  const int64_t dims = options_.embed_dims;
  const int64_t heads = options_.num_heads;
  const int64_t levels = options_.num_levels;
  const int64_t points = options_.num_points;
  if (query.dim() != 3 || query.size(2) != dims)
    fail("query must be [B, Q, " + std::to_string(dims) + "], got " + nn::shape_text(query));
  if (value.dim() != 3 || value.size(0) != query.size(0) || value.size(2) != dims)
    fail("value must be [" + std::to_string(query.size(0)) + ", S, " + std::to_string(dims) + "], got " +
         nn::shape_text(value));
  if (spatial_shapes.dim() != 2 || spatial_shapes.size(0) != levels)
    fail("the module was built for " + std::to_string(levels) + " levels but spatial_shapes is " +
         nn::shape_text(spatial_shapes));
  const int64_t batch = query.size(0);
  const int64_t queries = query.size(1);
  // Every accepted layout becomes [B, Q, levels or 1, anchors, 2].
  at::Tensor reference = reference_points;
  if (reference.dim() == 3) reference = reference.unsqueeze(2).unsqueeze(3);
  if (reference.dim() == 4 && reference.size(2) == levels) reference = reference.unsqueeze(3);
  const bool reference_ok = reference.dim() == 5 && reference.size(0) == batch &&
                            reference.size(1) == queries && reference.size(4) == 2 &&
                            (reference.size(2) == 1 || reference.size(2) == levels) &&
                            reference.size(3) >= 1 && points % reference.size(3) == 0;
  if (!reference_ok)
    fail(
        "reference_points must be [B, Q, 2], [B, Q, levels, 2] or [B, Q, levels or 1, anchors, 2] "
        "with anchors dividing num_points, for B=" +
        std::to_string(batch) + ", Q=" + std::to_string(queries) + ", levels=" + std::to_string(levels) +
        ", num_points=" + std::to_string(points) + ", got " + nn::shape_text(reference_points));
  const int64_t reference_levels = reference.size(2);
  const int64_t anchors = reference.size(3);

  at::Tensor projected = value_proj->forward(value);
  if (value_padding_mask.defined()) {
    if (value_padding_mask.sizes() != value.sizes().slice(0, 2))
      fail("value_padding_mask must be [B, S] = " + nn::shape_text(value.select(2, 0)) + ", got " +
           nn::shape_text(value_padding_mask));
    projected = projected.masked_fill(value_padding_mask.unsqueeze(-1), 0.0);
  }
  projected = projected.view({batch, value.size(1), heads, dims / heads});

  const at::Tensor offsets =
      sampling_offsets->forward(query).view({batch, queries, heads, levels, points, 2});
  // Softmax over levels x points jointly (Deformable DETR eq. 3).
  const at::Tensor weights = attention_weights->forward(query)
                                 .view({batch, queries, heads, levels * points})
                                 .softmax(-1)
                                 .view({batch, queries, heads, levels, points});
  // Offsets are in pixels of their level: divide by (W, H) to normalise.
  const at::Tensor normalizer = spatial_shapes.flip({-1}).to(offsets.options()).view({1, 1, 1, levels, 1, 2});
  // Points are grouped by anchor as in BEVFormer's MSDeformableAttention3D:
  // point p belongs to anchor p % anchors.
  const at::Tensor locations =
      (reference.to(offsets.scalar_type()).reshape({batch, queries, 1, reference_levels, 1, anchors, 2}) +
       (offsets / normalizer).view({batch, queries, heads, levels, points / anchors, anchors, 2}))
          .view({batch, queries, heads, levels, points, 2});

  const bool fused = options_.use_fused_kernel && projected.device().is_cpu();
  const at::Tensor attended =
      fused ? msda_fused(projected, spatial_shapes, level_start_index, locations, weights)
            : msda_reference(projected, spatial_shapes, level_start_index, locations, weights);
  return {output_proj->forward(attended), locations, weights};
}

}  // namespace occ::nn
