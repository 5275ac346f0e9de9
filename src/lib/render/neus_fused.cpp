// The fused CPU kernel of NeuS rendering (semantics: neus_rendering.h): one
// pass per ray computes every sample and accumulates the ray; the backward
// recomputes a ray's samples, runs the transmittance chain backwards and
// scatters into per-chunk copies of the volume gradients, summed in chunk
// order so that a given thread count always gives the same bits.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <torch/autograd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "render/fields.h"
#include "render/neus_detail.h"
#include "render/neus_rendering.h"

namespace occ::render {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// What the kernels need to know of the grid and the call.
struct KernelGeometry {
  std::array<double, 3> origin{};
  std::array<double, 3> inverse_spacing{};
  std::array<int64_t, 3> shape{};
  int64_t batch = 0, rays = 0, samples = 0;
  double ratio = 1.0;
  bool has_flow = false;
  int64_t vertices() const { return shape[0] * shape[1] * shape[2]; }
};

// The 8 corners of a point's cell: base vertex index and the fractions; the
// coordinates are clamped to the box (border padding).
struct Cell {
  int64_t base = 0;
  double fx = 0, fy = 0, fz = 0;
};

template <typename scalar_t>
inline Cell locate(const KernelGeometry& geometry, const scalar_t* point) {
  Cell cell;
  std::array<int64_t, 3> index{};
  std::array<double, 3> fraction{};
  for (size_t axis = 0; axis < 3; ++axis) {
    const double last = static_cast<double>(geometry.shape[axis] - 1);
    const double g = std::min(last, std::max(0.0, (static_cast<double>(point[axis]) - geometry.origin[axis]) *
                                                      geometry.inverse_spacing[axis]));
    const int64_t lower = std::min(static_cast<int64_t>(std::floor(g)), geometry.shape[axis] - 2);
    index[axis] = lower;
    fraction[axis] = g - static_cast<double>(lower);
  }
  cell.base = (index[0] * geometry.shape[1] + index[1]) * geometry.shape[2] + index[2];
  cell.fx = fraction[0];
  cell.fy = fraction[1];
  cell.fz = fraction[2];
  return cell;
}

// Corner offsets and trilinear weights, corner k = (dx, dy, dz) bits of k.
struct Corners {
  std::array<int64_t, 8> offset{};
  std::array<double, 8> weight{};
};

inline Corners corners(const KernelGeometry& geometry, const Cell& cell) {
  Corners out;
  const int64_t yz = geometry.shape[1] * geometry.shape[2], z = geometry.shape[2];
  for (int k = 0; k < 8; ++k) {
    const int dx = (k >> 2) & 1, dy = (k >> 1) & 1, dz = k & 1;
    out.offset[static_cast<size_t>(k)] = cell.base + dx * yz + dy * z + dz;
    out.weight[static_cast<size_t>(k)] =
        (dx ? cell.fx : 1.0 - cell.fx) * (dy ? cell.fy : 1.0 - cell.fy) * (dz ? cell.fz : 1.0 - cell.fz);
  }
  return out;
}

template <typename scalar_t>
inline double interpolate(const scalar_t* channel, const Corners& c) {
  double value = 0.0;
  for (size_t k = 0; k < 8; ++k) value += c.weight[k] * static_cast<double>(channel[c.offset[k]]);
  return value;
}

inline double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

// One sample's NeuS quantities (neus_rendering.h), kept for the backward.
struct SampleState {
  double sdf = 0, cos = 0, iter_cos = 0, prev_cdf = 0, next_cdf = 0, raw_alpha = 0, alpha = 0;
};

inline SampleState neus_sample(double sdf, double cos, double delta, double inv_s, double ratio) {
  SampleState s;
  s.sdf = sdf;
  s.cos = cos;
  s.iter_cos = -(std::max(0.0, -0.5 * cos + 0.5) * (1.0 - ratio) + std::max(0.0, -cos) * ratio);
  const double half_step = s.iter_cos * delta * 0.5;
  s.prev_cdf = sigmoid((sdf - half_step) * inv_s);
  s.next_cdf = sigmoid((sdf + half_step) * inv_s);
  s.raw_alpha = (s.prev_cdf - s.next_cdf + 1e-5) / (s.prev_cdf + 1e-5);
  s.alpha = std::min(1.0, std::max(0.0, s.raw_alpha));
  return s;
}

// Pointers of one call, by batch element.
template <typename scalar_t>
struct Fields {
  const scalar_t* sdf;       // [B, 1, V]
  const scalar_t* gradient;  // [B, 3, V]
  const scalar_t* flow;      // [B, 2, V] or null
};

template <typename scalar_t>
void forward_kernel(const KernelGeometry& g, const Fields<scalar_t>& fields, const scalar_t* origins,
                    const scalar_t* directions, const scalar_t* ts, const scalar_t* deltas, double inv_s,
                    scalar_t* weights, scalar_t* distance, scalar_t* opacity, scalar_t* flow,
                    scalar_t* sample_sdf, scalar_t* sample_gradients, scalar_t* sample_flow) {
  const int64_t vertices = g.vertices(), samples = g.samples;
  at::parallel_for(0, g.batch * g.rays, 16, [&](int64_t begin, int64_t end) {
    for (int64_t ray = begin; ray < end; ++ray) {
      const int64_t b = ray / g.rays;
      const scalar_t* sdf = fields.sdf + b * vertices;
      const scalar_t* gradient = fields.gradient + b * 3 * vertices;
      const scalar_t* field_flow = g.has_flow ? fields.flow + b * 2 * vertices : nullptr;
      const scalar_t* o = origins + ray * 3;
      const scalar_t* d = directions + ray * 3;
      double transmittance = 1.0, ray_distance = 0.0, ray_opacity = 0.0, ray_flow[2] = {0.0, 0.0};
      for (int64_t i = 0; i < samples; ++i) {
        const int64_t at = ray * samples + i;
        const scalar_t t = ts[at];
        const scalar_t point[3] = {o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]};
        const Corners c = corners(g, locate(g, point));
        const double s = interpolate(sdf, c);
        double cos = 0.0;
        for (int64_t axis = 0; axis < 3; ++axis) {
          const double slope = interpolate(gradient + axis * vertices, c);
          sample_gradients[at * 3 + axis] = static_cast<scalar_t>(slope);
          cos += static_cast<double>(d[axis]) * slope;
        }
        const SampleState state = neus_sample(s, cos, static_cast<double>(deltas[at]), inv_s, g.ratio);
        const double w = state.alpha * transmittance;
        transmittance *= 1.0 - state.alpha;
        weights[at] = static_cast<scalar_t>(w);
        sample_sdf[at] = static_cast<scalar_t>(s);
        ray_distance += w * static_cast<double>(t);
        ray_opacity += w;
        if (field_flow) {
          for (int64_t channel = 0; channel < 2; ++channel) {
            const double f = interpolate(field_flow + channel * vertices, c);
            sample_flow[at * 2 + channel] = static_cast<scalar_t>(f);
            ray_flow[channel] += w * f;
          }
        }
      }
      distance[ray] = static_cast<scalar_t>(ray_distance);
      opacity[ray] = static_cast<scalar_t>(ray_opacity);
      if (field_flow) {
        flow[ray * 2] = static_cast<scalar_t>(ray_flow[0]);
        flow[ray * 2 + 1] = static_cast<scalar_t>(ray_flow[1]);
      }
    }
  });
}

// Upstream gradients of the outputs (zeros where an output was unused).
template <typename scalar_t>
struct OutputGrads {
  const scalar_t *weights, *distance, *opacity, *flow, *sample_sdf, *sample_gradients, *sample_flow;
};

// Volume gradients of one chunk of rays: [B, 1 + 3 + 2, V] in that order.
template <typename scalar_t>
void backward_rays(const KernelGeometry& g, const Fields<scalar_t>& fields, const scalar_t* origins,
                   const scalar_t* directions, const scalar_t* ts, const scalar_t* deltas, double inv_s,
                   const OutputGrads<scalar_t>& up, int64_t begin, int64_t end, double* grad_volumes,
                   double* grad_inv_s_per_ray) {
  const int64_t vertices = g.vertices(), samples = g.samples;
  std::vector<SampleState> states(static_cast<size_t>(samples));
  std::vector<Corners> cells(static_cast<size_t>(samples));
  std::vector<double> transmittances(static_cast<size_t>(samples)),
      grad_weights(static_cast<size_t>(samples));
  std::vector<std::array<double, 2>> flows(static_cast<size_t>(samples));
  for (int64_t ray = begin; ray < end; ++ray) {
    const int64_t b = ray / g.rays;
    const scalar_t* sdf = fields.sdf + b * vertices;
    const scalar_t* gradient = fields.gradient + b * 3 * vertices;
    const scalar_t* field_flow = g.has_flow ? fields.flow + b * 2 * vertices : nullptr;
    double* grad_sdf = grad_volumes + b * 6 * vertices;
    double* grad_gradient = grad_sdf + vertices;
    double* grad_flow = grad_sdf + 4 * vertices;
    const scalar_t* o = origins + ray * 3;
    const scalar_t* d = directions + ray * 3;
    const double up_distance = up.distance[ray], up_opacity = up.opacity[ray];
    const double up_flow[2] = {g.has_flow ? static_cast<double>(up.flow[ray * 2]) : 0.0,
                               g.has_flow ? static_cast<double>(up.flow[ray * 2 + 1]) : 0.0};
    // Pass 1: the forward again, and dL/dw_i from every output that reads w_i.
    double transmittance = 1.0;
    for (int64_t i = 0; i < samples; ++i) {
      const auto si = static_cast<size_t>(i);
      const int64_t at = ray * samples + i;
      const scalar_t t = ts[at];
      const scalar_t point[3] = {o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]};
      cells[si] = corners(g, locate(g, point));
      const double s = interpolate(sdf, cells[si]);
      double cos = 0.0;
      for (int64_t axis = 0; axis < 3; ++axis)
        cos += static_cast<double>(d[axis]) * interpolate(gradient + axis * vertices, cells[si]);
      states[si] = neus_sample(s, cos, static_cast<double>(deltas[at]), inv_s, g.ratio);
      transmittances[si] = transmittance;
      transmittance *= 1.0 - states[si].alpha;
      double grad_w = static_cast<double>(up.weights[at]) + up_distance * static_cast<double>(t) + up_opacity;
      if (field_flow) {
        for (int64_t channel = 0; channel < 2; ++channel) {
          flows[si][static_cast<size_t>(channel)] = interpolate(field_flow + channel * vertices, cells[si]);
          grad_w += up_flow[channel] * flows[si][static_cast<size_t>(channel)];
        }
      }
      grad_weights[si] = grad_w;
    }
    // Pass 2, back to front: dL/dalpha_i = T_i (dL/dw_i - R_i) with
    // R_i = sum_{k>i} dL/dw_k alpha_k prod_{i<j<k} (1 - alpha_j), so no
    // division by 1 - alpha (alpha reaches 1 under the clamp).
    double later = 0.0, grad_inv_s = 0.0;
    for (int64_t i = samples - 1; i >= 0; --i) {
      const auto si = static_cast<size_t>(i);
      const int64_t at = ray * samples + i;
      const SampleState& s = states[si];
      const double grad_alpha = transmittances[si] * (grad_weights[si] - later);
      later = grad_weights[si] * s.alpha + (1.0 - s.alpha) * later;
      const double grad_raw = (s.raw_alpha >= 0.0 && s.raw_alpha <= 1.0) ? grad_alpha : 0.0;
      const double denominator = s.prev_cdf + 1e-5;
      const double grad_prev =
          grad_raw * s.next_cdf / (denominator * denominator) * s.prev_cdf * (1.0 - s.prev_cdf);
      const double grad_next = -grad_raw / denominator * s.next_cdf * (1.0 - s.next_cdf);
      const double delta = static_cast<double>(deltas[at]);
      const double half_step = s.iter_cos * delta * 0.5;
      const double grad_s = (grad_prev + grad_next) * inv_s + static_cast<double>(up.sample_sdf[at]);
      const double grad_half_step = (grad_next - grad_prev) * inv_s;
      grad_inv_s += grad_prev * (s.sdf - half_step) + grad_next * (s.sdf + half_step);
      const double dcos = 0.5 * (1.0 - g.ratio) * ((-0.5 * s.cos + 0.5) > 0.0 ? 1.0 : 0.0) +
                          g.ratio * (-s.cos > 0.0 ? 1.0 : 0.0);
      const double grad_cos = grad_half_step * delta * 0.5 * dcos;
      double grad_slope[3];
      for (int64_t axis = 0; axis < 3; ++axis)
        grad_slope[axis] =
            grad_cos * static_cast<double>(d[axis]) + static_cast<double>(up.sample_gradients[at * 3 + axis]);
      double grad_f[2] = {0.0, 0.0};
      if (field_flow) {
        const double w = s.alpha * transmittances[si];
        for (int64_t channel = 0; channel < 2; ++channel)
          grad_f[channel] = static_cast<double>(up.sample_flow[at * 2 + channel]) + up_flow[channel] * w;
      }
      const Corners& c = cells[si];
      for (size_t k = 0; k < 8; ++k) {
        const double weight = c.weight[k];
        if (weight == 0.0) continue;
        const int64_t v = c.offset[k];
        grad_sdf[v] += weight * grad_s;
        for (int64_t axis = 0; axis < 3; ++axis)
          grad_gradient[axis * vertices + v] += weight * grad_slope[axis];
        if (field_flow)
          for (int64_t channel = 0; channel < 2; ++channel)
            grad_flow[channel * vertices + v] += weight * grad_f[channel];
      }
    }
    grad_inv_s_per_ray[ray] = grad_inv_s;
  }
}

double read_inv_s(const at::Tensor& inv_s) {
  return inv_s.detach().to(at::kDouble).item<double>();
}

class FusedRenderFunction : public torch::autograd::Function<FusedRenderFunction> {
 public:
  static variable_list forward(AutogradContext* context, const at::Tensor& sdf, const at::Tensor& gradient,
                               const at::Tensor& flow, const at::Tensor& origins,
                               const at::Tensor& directions, const at::Tensor& t, const at::Tensor& deltas,
                               const at::Tensor& inv_s, const KernelGeometry& geometry) {
    const auto inputs = contiguous({sdf, gradient, flow, origins, directions, t, deltas});
    context->save_for_backward(
        {inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], inputs[5], inputs[6], inv_s});
    store(context, geometry);
    const auto options = sdf.options();
    const int64_t B = geometry.batch, R = geometry.rays, S = geometry.samples;
    at::Tensor weights = at::empty({B, R, S}, options), distance = at::empty({B, R}, options),
               opacity = at::empty({B, R}, options), sample_sdf = at::empty({B, R, S}, options),
               sample_gradients = at::empty({B, R, S, 3}, options);
    at::Tensor ray_flow = geometry.has_flow ? at::empty({B, R, 2}, options) : at::Tensor();
    at::Tensor sample_flow = geometry.has_flow ? at::empty({B, R, S, 2}, options) : at::Tensor();
    const double inv_s_value = read_inv_s(inv_s);
    AT_DISPATCH_FLOATING_TYPES(sdf.scalar_type(), "neus_fused_forward", [&] {
      const Fields<scalar_t> fields{inputs[0].data_ptr<scalar_t>(), inputs[1].data_ptr<scalar_t>(),
                                    geometry.has_flow ? inputs[2].data_ptr<scalar_t>() : nullptr};
      forward_kernel<scalar_t>(geometry, fields, inputs[3].data_ptr<scalar_t>(),
                               inputs[4].data_ptr<scalar_t>(), inputs[5].data_ptr<scalar_t>(),
                               inputs[6].data_ptr<scalar_t>(), inv_s_value, weights.data_ptr<scalar_t>(),
                               distance.data_ptr<scalar_t>(), opacity.data_ptr<scalar_t>(),
                               geometry.has_flow ? ray_flow.data_ptr<scalar_t>() : nullptr,
                               sample_sdf.data_ptr<scalar_t>(), sample_gradients.data_ptr<scalar_t>(),
                               geometry.has_flow ? sample_flow.data_ptr<scalar_t>() : nullptr);
    });
    if (!geometry.has_flow) {
      // Undefined outputs cannot leave an autograd Function: zero-sized stand-ins.
      ray_flow = at::empty({0}, options);
      sample_flow = at::empty({0}, options);
    }
    return {weights, distance, opacity, ray_flow, sample_sdf, sample_gradients, sample_flow};
  }

  static variable_list backward(AutogradContext* context, variable_list grad_outputs) {
    if (at::GradMode::is_enabled())
      throw UsageError(
          "render: the fused kernel has no double backward (create_graph=true); use render_reference");
    const auto saved = context->get_saved_variables();
    const KernelGeometry geometry = load(context);
    const int64_t B = geometry.batch, V = geometry.vertices(), total_rays = geometry.batch * geometry.rays;
    const auto grads = contiguous(grad_outputs);
    const at::Tensor& sdf = saved[0];
    // A fixed partition into chunks, each with its own gradient volumes,
    // summed in order: the bits do not depend on which thread ran a chunk.
    const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), total_rays));
    std::vector<at::Tensor> partials(static_cast<size_t>(chunks));
    at::Tensor grad_inv_s_per_ray = at::zeros({std::max<int64_t>(total_rays, 1)}, at::kDouble);
    const double inv_s_value = read_inv_s(saved[7]);
    AT_DISPATCH_FLOATING_TYPES(sdf.scalar_type(), "neus_fused_backward", [&] {
      const Fields<scalar_t> fields{saved[0].data_ptr<scalar_t>(), saved[1].data_ptr<scalar_t>(),
                                    geometry.has_flow ? saved[2].data_ptr<scalar_t>() : nullptr};
      const OutputGrads<scalar_t> up{grads[0].data_ptr<scalar_t>(),
                                     grads[1].data_ptr<scalar_t>(),
                                     grads[2].data_ptr<scalar_t>(),
                                     geometry.has_flow ? grads[3].data_ptr<scalar_t>() : nullptr,
                                     grads[4].data_ptr<scalar_t>(),
                                     grads[5].data_ptr<scalar_t>(),
                                     geometry.has_flow ? grads[6].data_ptr<scalar_t>() : nullptr};
      at::parallel_for(0, chunks, 1, [&](int64_t first, int64_t last) {
        for (int64_t chunk = first; chunk < last; ++chunk) {
          at::Tensor partial = at::zeros({B, 6, V}, at::kDouble);
          backward_rays<scalar_t>(geometry, fields, saved[3].data_ptr<scalar_t>(),
                                  saved[4].data_ptr<scalar_t>(), saved[5].data_ptr<scalar_t>(),
                                  saved[6].data_ptr<scalar_t>(), inv_s_value, up, chunk * total_rays / chunks,
                                  (chunk + 1) * total_rays / chunks, partial.data_ptr<double>(),
                                  grad_inv_s_per_ray.data_ptr<double>());
          partials[static_cast<size_t>(chunk)] = partial;
        }
      });
    });
    at::Tensor summed = partials[0];
    for (size_t chunk = 1; chunk < partials.size(); ++chunk) summed.add_(partials[chunk]);
    summed = summed.to(sdf.scalar_type());
    const auto shape = sdf.sizes().slice(2);
    const auto volume_shape = [&](int64_t channels) {
      std::vector<int64_t> dims{B, channels};
      dims.insert(dims.end(), shape.begin(), shape.end());
      return dims;
    };
    const at::Tensor grad_sdf = summed.narrow(1, 0, 1).reshape(volume_shape(1));
    const at::Tensor grad_gradient = summed.narrow(1, 1, 3).reshape(volume_shape(3));
    const at::Tensor grad_flow =
        geometry.has_flow ? summed.narrow(1, 4, 2).reshape(volume_shape(2)) : at::Tensor();
    // The per-ray terms summed in ray order (deterministic for any thread count).
    const at::Tensor grad_inv_s =
        grad_inv_s_per_ray.sum().to(saved[7].scalar_type()).reshape(saved[7].sizes());
    return {grad_sdf,     grad_gradient, grad_flow,  at::Tensor(), at::Tensor(),
            at::Tensor(), at::Tensor(),  grad_inv_s, at::Tensor()};
  }

 private:
  static std::vector<at::Tensor> contiguous(const std::vector<at::Tensor>& tensors) {
    std::vector<at::Tensor> out;
    for (const auto& tensor : tensors) out.push_back(tensor.defined() ? tensor.contiguous() : tensor);
    return out;
  }
  static void store(AutogradContext* context, const KernelGeometry& g) {
    auto& data = context->saved_data;
    for (size_t axis = 0; axis < 3; ++axis) {
      const std::string suffix = std::to_string(axis);
      data["origin" + suffix] = g.origin[axis];
      data["inverse_spacing" + suffix] = g.inverse_spacing[axis];
      data["shape" + suffix] = g.shape[axis];
    }
    data["batch"] = g.batch;
    data["rays"] = g.rays;
    data["samples"] = g.samples;
    data["ratio"] = g.ratio;
    data["has_flow"] = g.has_flow;
  }
  static KernelGeometry load(AutogradContext* context) {
    auto& data = context->saved_data;
    KernelGeometry g;
    for (size_t axis = 0; axis < 3; ++axis) {
      const std::string suffix = std::to_string(axis);
      g.origin[axis] = data["origin" + suffix].toDouble();
      g.inverse_spacing[axis] = data["inverse_spacing" + suffix].toDouble();
      g.shape[axis] = data["shape" + suffix].toInt();
    }
    g.batch = data["batch"].toInt();
    g.rays = data["rays"].toInt();
    g.samples = data["samples"].toInt();
    g.ratio = data["ratio"].toDouble();
    g.has_flow = data["has_flow"].toBool();
    return g;
  }
};

}  // namespace

RenderOutput render_fused(const FieldVolumes& fields, const VolumeBox& box, const RaySamples& rays,
                          const at::Tensor& inv_s, double ratio) {
  const detail::RenderDims dims = detail::check_render_inputs(fields, box, rays, inv_s);
  if (!fields.sdf.device().is_cpu())
    throw UsageError("render: the fused kernel runs on CPU; use render_reference on " +
                     fields.sdf.device().str());
  const auto dtype = fields.sdf.scalar_type();
  if (dtype != at::kFloat && dtype != at::kDouble)
    throw UsageError("render: the fused kernel takes float or double volumes");
  KernelGeometry geometry;
  for (size_t axis = 0; axis < 3; ++axis) {
    geometry.origin[axis] = box.origin_m[axis];
    geometry.inverse_spacing[axis] = 1.0 / box.voxel_size_m[axis];
    geometry.shape[axis] = box.vertex_shape[axis];
  }
  geometry.batch = dims.batch;
  geometry.rays = dims.rays;
  geometry.samples = dims.samples;
  geometry.ratio = ratio;
  geometry.has_flow = dims.has_flow;
  RECORD_FUNCTION("occ::neus_render", std::vector<c10::IValue>({fields.sdf}));
  const at::Tensor gradient = sdf_gradient_volume(fields.sdf, box);
  const auto as_dtype = [&](const at::Tensor& tensor) { return tensor.to(dtype); };
  // An undefined flow travels as a zero-sized tensor (autograd inputs must be defined).
  const at::Tensor flow = dims.has_flow ? as_dtype(fields.flow) : at::empty({0}, fields.sdf.options());
  const variable_list outputs = FusedRenderFunction::apply(
      fields.sdf, gradient, flow, as_dtype(rays.origins), as_dtype(rays.directions), as_dtype(rays.t),
      as_dtype(rays.deltas), inv_s.reshape({}), geometry);
  RenderOutput out;
  out.weights = outputs[0];
  out.distance = outputs[1];
  out.opacity = outputs[2];
  out.sample_sdf = outputs[4];
  out.sample_gradients = outputs[5];
  if (dims.has_flow) {
    out.flow = outputs[3];
    out.sample_flow = outputs[6];
  }
  return out;
}

}  // namespace occ::render
