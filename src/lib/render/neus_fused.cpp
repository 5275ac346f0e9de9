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
#include <atomic>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "render/fields.h"
#include "render/neus_detail.h"
#include "render/neus_rendering.h"

namespace occ::render {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Runs body(block) for block = 0..blocks-1 on LibTorch's threads, each thread
// taking the next block as it becomes free. A static split (at::parallel_for)
// makes every region as slow as its slowest thread, which on a shared machine
// is one that was descheduled; results stay deterministic because what a
// block writes does not depend on the thread that runs it.
template <typename Body>
void for_each_block(int64_t blocks, const Body& body) {
  std::atomic<int64_t> next{0};
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), blocks));
  at::parallel_for(0, workers, 1, [&](int64_t, int64_t) {
    for (int64_t block = next.fetch_add(1); block < blocks; block = next.fetch_add(1)) body(block);
  });
}

// Rays per block of the forward pass.
constexpr int64_t kForwardBlock = 64;
// Ray chunks of the backward pass, each with its own gradient volumes: a
// fixed count, so that the sums do not depend on the thread count either.
constexpr int64_t kBackwardChunks = 8;

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

// Per-sample arithmetic runs in the volumes' dtype T (float: vectorisable,
// expf; double for the gradient checks); ray sums, the transmittance chain and
// the gradient scatter run in double.

// The 8 corners of a point's cell: base vertex index and the fractions; the
// coordinates are clamped to the box (border padding).
template <typename T>
struct Cell {
  int64_t base = 0;
  T fx = 0, fy = 0, fz = 0;
};

template <typename T>
inline Cell<T> locate(const KernelGeometry& geometry, const T* point) {
  Cell<T> cell;
  std::array<int64_t, 3> index{};
  std::array<T, 3> fraction{};
  for (size_t axis = 0; axis < 3; ++axis) {
    const double last = static_cast<double>(geometry.shape[axis] - 1);
    const double g = std::min(last, std::max(0.0, (static_cast<double>(point[axis]) - geometry.origin[axis]) *
                                                      geometry.inverse_spacing[axis]));
    // g >= 0: truncation is floor.
    const int64_t lower = std::min(static_cast<int64_t>(g), geometry.shape[axis] - 2);
    index[axis] = lower;
    fraction[axis] = static_cast<T>(g - static_cast<double>(lower));
  }
  cell.base = (index[0] * geometry.shape[1] + index[1]) * geometry.shape[2] + index[2];
  cell.fx = fraction[0];
  cell.fy = fraction[1];
  cell.fz = fraction[2];
  return cell;
}

// Corner offsets and trilinear weights, corner k = (dx, dy, dz) bits of k.
template <typename T>
struct Corners {
  std::array<int64_t, 8> offset{};
  std::array<T, 8> weight{};
};

template <typename T>
inline Corners<T> corners(const KernelGeometry& geometry, const Cell<T>& cell) {
  Corners<T> out;
  const int64_t yz = geometry.shape[1] * geometry.shape[2], z = geometry.shape[2];
  const T one = 1;
  for (int k = 0; k < 8; ++k) {
    const int dx = (k >> 2) & 1, dy = (k >> 1) & 1, dz = k & 1;
    out.offset[static_cast<size_t>(k)] = cell.base + dx * yz + dy * z + dz;
    out.weight[static_cast<size_t>(k)] =
        (dx ? cell.fx : one - cell.fx) * (dy ? cell.fy : one - cell.fy) * (dz ? cell.fz : one - cell.fz);
  }
  return out;
}

// All channels of the packed field at once: out[k] = sum_corners w * field[v][k].
template <typename T, int kChannels>
inline void interpolate(const T* field, const Corners<T>& c, T* out) {
  for (int k = 0; k < kChannels; ++k) out[k] = 0;
  for (size_t corner = 0; corner < 8; ++corner) {
    const T* vertex = field + c.offset[corner] * kChannels;
    const T weight = c.weight[corner];
    for (int k = 0; k < kChannels; ++k) out[k] += weight * vertex[k];
  }
}

template <typename T>
inline T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// One sample's NeuS quantities (neus_rendering.h), kept for the backward.
template <typename T>
struct SampleState {
  T sdf = 0, cos = 0, iter_cos = 0, prev_cdf = 0, next_cdf = 0, raw_alpha = 0, alpha = 0;
};

template <typename T>
inline SampleState<T> neus_sample(T sdf, T cos, T delta, T inv_s, T ratio) {
  SampleState<T> s;
  const T zero = 0, one = 1, half = 0.5, eps = T(1e-5);
  s.sdf = sdf;
  s.cos = cos;
  s.iter_cos = -(std::max(zero, -half * cos + half) * (one - ratio) + std::max(zero, -cos) * ratio);
  const T half_step = s.iter_cos * delta * half;
  s.prev_cdf = sigmoid((sdf - half_step) * inv_s);
  s.next_cdf = sigmoid((sdf + half_step) * inv_s);
  s.raw_alpha = (s.prev_cdf - s.next_cdf + eps) / (s.prev_cdf + eps);
  s.alpha = std::min(one, std::max(zero, s.raw_alpha));
  return s;
}

// The fields of one call packed channel-last, [B, X, Y, Z, C] with the
// channels (sdf, dsdf/dx, dsdf/dy, dsdf/dz[, flow x, flow y]): the 8 corners
// of a sample are 8 short contiguous reads instead of 8 x C scattered ones.
constexpr int kStaticChannels = 4, kFlowChannels = 6;

template <typename scalar_t, int kChannels>
void forward_kernel(const KernelGeometry& g, const scalar_t* packed, const scalar_t* origins,
                    const scalar_t* directions, const scalar_t* ts, const scalar_t* deltas, scalar_t inv_s,
                    scalar_t* weights, scalar_t* distance, scalar_t* opacity, scalar_t* flow,
                    scalar_t* sample_sdf, scalar_t* sample_gradients, scalar_t* sample_flow) {
  constexpr bool has_flow = kChannels == kFlowChannels;
  const int64_t vertices = g.vertices(), samples = g.samples;
  const auto ratio = static_cast<scalar_t>(g.ratio);
  const int64_t total_rays = g.batch * g.rays;
  for_each_block((total_rays + kForwardBlock - 1) / kForwardBlock, [&](int64_t block) {
    const int64_t begin = block * kForwardBlock, end = std::min(total_rays, begin + kForwardBlock);
    for (int64_t ray = begin; ray < end; ++ray) {
      const scalar_t* field = packed + (ray / g.rays) * vertices * kChannels;
      const scalar_t* o = origins + ray * 3;
      const scalar_t* d = directions + ray * 3;
      double transmittance = 1.0, ray_distance = 0.0, ray_opacity = 0.0, ray_flow[2] = {0.0, 0.0};
      for (int64_t i = 0; i < samples; ++i) {
        const int64_t at = ray * samples + i;
        const scalar_t t = ts[at];
        const scalar_t point[3] = {o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]};
        scalar_t values[kChannels];
        interpolate<scalar_t, kChannels>(field, corners(g, locate(g, point)), values);
        scalar_t cos = 0;
        for (int64_t axis = 0; axis < 3; ++axis) {
          sample_gradients[at * 3 + axis] = values[1 + axis];
          cos += d[axis] * values[1 + axis];
        }
        const SampleState<scalar_t> state = neus_sample<scalar_t>(values[0], cos, deltas[at], inv_s, ratio);
        const double w = static_cast<double>(state.alpha) * transmittance;
        transmittance *= 1.0 - static_cast<double>(state.alpha);
        weights[at] = static_cast<scalar_t>(w);
        sample_sdf[at] = values[0];
        ray_distance += w * static_cast<double>(t);
        ray_opacity += w;
        if constexpr (has_flow) {
          for (int64_t channel = 0; channel < 2; ++channel) {
            sample_flow[at * 2 + channel] = values[4 + channel];
            ray_flow[channel] += w * static_cast<double>(values[4 + channel]);
          }
        }
      }
      distance[ray] = static_cast<scalar_t>(ray_distance);
      opacity[ray] = static_cast<scalar_t>(ray_opacity);
      if constexpr (has_flow) {
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

// The per-sample field values the forward wrote out (and the backward reads
// back instead of interpolating them again).
template <typename scalar_t>
struct SampleValues {
  const scalar_t *sdf, *gradients, *flow;
};

// Volume gradients of one chunk of rays into grad_packed, [B, V, kChannels]
// like the packed field.
template <typename scalar_t, int kChannels>
void backward_rays(const KernelGeometry& g, const SampleValues<scalar_t>& sampled, const scalar_t* origins,
                   const scalar_t* directions, const scalar_t* ts, const scalar_t* deltas, scalar_t inv_s_t,
                   const OutputGrads<scalar_t>& up, int64_t begin, int64_t end, double* grad_packed,
                   double* grad_inv_s_per_ray) {
  constexpr bool has_flow = kChannels == kFlowChannels;
  const int64_t vertices = g.vertices(), samples = g.samples;
  const auto ratio = static_cast<scalar_t>(g.ratio);
  const auto inv_s = static_cast<double>(inv_s_t);
  std::vector<SampleState<scalar_t>> states(static_cast<size_t>(samples));
  std::vector<double> transmittances(static_cast<size_t>(samples)),
      grad_weights(static_cast<size_t>(samples));
  for (int64_t ray = begin; ray < end; ++ray) {
    const int64_t b = ray / g.rays;
    double* grad_field = grad_packed + b * vertices * kChannels;
    const scalar_t* o = origins + ray * 3;
    const scalar_t* d = directions + ray * 3;
    const double up_distance = up.distance[ray], up_opacity = up.opacity[ray];
    const double up_flow[2] = {has_flow ? static_cast<double>(up.flow[ray * 2]) : 0.0,
                               has_flow ? static_cast<double>(up.flow[ray * 2 + 1]) : 0.0};
    // Pass 1: the NeuS chain again from the sampled values, and dL/dw_i from
    // every output that reads w_i.
    double transmittance = 1.0;
    for (int64_t i = 0; i < samples; ++i) {
      const auto si = static_cast<size_t>(i);
      const int64_t at = ray * samples + i;
      const scalar_t* slope = sampled.gradients + at * 3;
      const scalar_t cos = d[0] * slope[0] + d[1] * slope[1] + d[2] * slope[2];
      states[si] = neus_sample<scalar_t>(sampled.sdf[at], cos, deltas[at], inv_s_t, ratio);
      transmittances[si] = transmittance;
      transmittance *= 1.0 - static_cast<double>(states[si].alpha);
      double grad_w =
          static_cast<double>(up.weights[at]) + up_distance * static_cast<double>(ts[at]) + up_opacity;
      if constexpr (has_flow)
        grad_w += up_flow[0] * static_cast<double>(sampled.flow[at * 2]) +
                  up_flow[1] * static_cast<double>(sampled.flow[at * 2 + 1]);
      grad_weights[si] = grad_w;
    }
    // Pass 2, back to front: dL/dalpha_i = T_i (dL/dw_i - R_i) with
    // R_i = sum_{k>i} dL/dw_k alpha_k prod_{i<j<k} (1 - alpha_j), so no
    // division by 1 - alpha (alpha reaches 1 under the clamp).
    double later = 0.0, grad_inv_s = 0.0;
    for (int64_t i = samples - 1; i >= 0; --i) {
      const auto si = static_cast<size_t>(i);
      const int64_t at = ray * samples + i;
      const SampleState<scalar_t>& state = states[si];
      const double alpha = state.alpha, raw_alpha = state.raw_alpha, prev_cdf = state.prev_cdf,
                   next_cdf = state.next_cdf, sdf = state.sdf, cos = state.cos, iter_cos = state.iter_cos;
      const double grad_alpha = transmittances[si] * (grad_weights[si] - later);
      later = grad_weights[si] * alpha + (1.0 - alpha) * later;
      const double grad_raw = (raw_alpha >= 0.0 && raw_alpha <= 1.0) ? grad_alpha : 0.0;
      const double denominator = prev_cdf + 1e-5;
      const double grad_prev =
          grad_raw * next_cdf / (denominator * denominator) * prev_cdf * (1.0 - prev_cdf);
      const double grad_next = -grad_raw / denominator * next_cdf * (1.0 - next_cdf);
      const double delta = static_cast<double>(deltas[at]);
      const double half_step = iter_cos * delta * 0.5;
      const double grad_half_step = (grad_next - grad_prev) * inv_s;
      grad_inv_s += grad_prev * (sdf - half_step) + grad_next * (sdf + half_step);
      const double dcos =
          0.5 * (1.0 - g.ratio) * ((-0.5 * cos + 0.5) > 0.0 ? 1.0 : 0.0) + g.ratio * (-cos > 0.0 ? 1.0 : 0.0);
      const double grad_cos = grad_half_step * delta * 0.5 * dcos;
      // dL/d(value) of every channel of the sample, scattered to its corners.
      double grad_values[kChannels];
      grad_values[0] = (grad_prev + grad_next) * inv_s + static_cast<double>(up.sample_sdf[at]);
      for (int64_t axis = 0; axis < 3; ++axis)
        grad_values[1 + axis] =
            grad_cos * static_cast<double>(d[axis]) + static_cast<double>(up.sample_gradients[at * 3 + axis]);
      if constexpr (has_flow) {
        const double w = alpha * transmittances[si];
        for (int64_t channel = 0; channel < 2; ++channel)
          grad_values[4 + channel] =
              static_cast<double>(up.sample_flow[at * 2 + channel]) + up_flow[channel] * w;
      }
      const scalar_t t = ts[at];
      const scalar_t point[3] = {o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]};
      const Corners<scalar_t> c = corners(g, locate(g, point));
      for (size_t corner = 0; corner < 8; ++corner) {
        const double weight = static_cast<double>(c.weight[corner]);
        if (weight == 0.0) continue;
        double* vertex = grad_field + c.offset[corner] * kChannels;
        for (int k = 0; k < kChannels; ++k) vertex[k] += weight * grad_values[k];
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
    const auto inputs = contiguous({origins, directions, t, deltas});
    const at::Tensor packed = pack(sdf, gradient, flow, geometry.has_flow);
    store(context, geometry);
    const auto options = sdf.options();
    const int64_t B = geometry.batch, R = geometry.rays, S = geometry.samples;
    at::Tensor weights = at::empty({B, R, S}, options), distance = at::empty({B, R}, options),
               opacity = at::empty({B, R}, options), sample_sdf = at::empty({B, R, S}, options),
               sample_gradients = at::empty({B, R, S, 3}, options);
    // Undefined outputs cannot leave an autograd Function: zero-sized stand-ins.
    at::Tensor ray_flow = at::empty({geometry.has_flow ? B * R * 2 : 0}, options);
    at::Tensor sample_flow = at::empty({geometry.has_flow ? B * R * S * 2 : 0}, options);
    const double inv_s_value = read_inv_s(inv_s);
    AT_DISPATCH_FLOATING_TYPES(sdf.scalar_type(), "neus_fused_forward", [&] {
      const auto run = [&](auto channels) {
        forward_kernel<scalar_t, decltype(channels)::value>(
            geometry, packed.data_ptr<scalar_t>(), inputs[0].data_ptr<scalar_t>(),
            inputs[1].data_ptr<scalar_t>(), inputs[2].data_ptr<scalar_t>(), inputs[3].data_ptr<scalar_t>(),
            static_cast<scalar_t>(inv_s_value), weights.data_ptr<scalar_t>(), distance.data_ptr<scalar_t>(),
            opacity.data_ptr<scalar_t>(), ray_flow.data_ptr<scalar_t>(), sample_sdf.data_ptr<scalar_t>(),
            sample_gradients.data_ptr<scalar_t>(), sample_flow.data_ptr<scalar_t>());
      };
      if (geometry.has_flow)
        run(std::integral_constant<int, kFlowChannels>());
      else
        run(std::integral_constant<int, kStaticChannels>());
    });
    // The backward needs the rays and the sampled values, not the volumes.
    context->save_for_backward(
        {inputs[0], inputs[1], inputs[2], inputs[3], inv_s, sample_sdf, sample_gradients, sample_flow});
    if (geometry.has_flow) {
      ray_flow = ray_flow.view({B, R, 2});
      sample_flow = sample_flow.view({B, R, S, 2});
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
    const int64_t channels = geometry.has_flow ? kFlowChannels : kStaticChannels;
    const auto grads = contiguous(grad_outputs);
    const at::Tensor& sample_sdf = saved[5];
    // A fixed partition into chunks, each with its own gradient volumes,
    // summed in order: the bits depend neither on which thread ran a chunk
    // nor on the thread count.
    const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(kBackwardChunks, total_rays));
    std::vector<at::Tensor> partials(static_cast<size_t>(chunks));
    at::Tensor grad_inv_s_per_ray = at::zeros({std::max<int64_t>(total_rays, 1)}, at::kDouble);
    const double inv_s_value = read_inv_s(saved[4]);
    AT_DISPATCH_FLOATING_TYPES(sample_sdf.scalar_type(), "neus_fused_backward", [&] {
      const SampleValues<scalar_t> sampled{sample_sdf.data_ptr<scalar_t>(), saved[6].data_ptr<scalar_t>(),
                                           saved[7].data_ptr<scalar_t>()};
      const OutputGrads<scalar_t> up{grads[0].data_ptr<scalar_t>(), grads[1].data_ptr<scalar_t>(),
                                     grads[2].data_ptr<scalar_t>(), grads[3].data_ptr<scalar_t>(),
                                     grads[4].data_ptr<scalar_t>(), grads[5].data_ptr<scalar_t>(),
                                     grads[6].data_ptr<scalar_t>()};
      const auto run = [&](auto channel_count) {
        constexpr int kChannels = decltype(channel_count)::value;
        for_each_block(chunks, [&](int64_t chunk) {
          at::Tensor partial = at::zeros({B, V, kChannels}, at::kDouble);
          backward_rays<scalar_t, kChannels>(
              geometry, sampled, saved[0].data_ptr<scalar_t>(), saved[1].data_ptr<scalar_t>(),
              saved[2].data_ptr<scalar_t>(), saved[3].data_ptr<scalar_t>(),
              static_cast<scalar_t>(inv_s_value), up, chunk * total_rays / chunks,
              (chunk + 1) * total_rays / chunks, partial.data_ptr<double>(),
              grad_inv_s_per_ray.data_ptr<double>());
          partials[static_cast<size_t>(chunk)] = partial;
        });
      };
      if (geometry.has_flow)
        run(std::integral_constant<int, kFlowChannels>());
      else
        run(std::integral_constant<int, kStaticChannels>());
    });
    at::Tensor summed = partials[0];
    for (size_t chunk = 1; chunk < partials.size(); ++chunk) summed.add_(partials[chunk]);
    // [B, V, C] -> [B, C, X, Y, Z]
    summed = summed.to(sample_sdf.scalar_type())
                 .view({B, geometry.shape[0], geometry.shape[1], geometry.shape[2], channels})
                 .permute({0, 4, 1, 2, 3});
    const at::Tensor grad_sdf = summed.narrow(1, 0, 1).contiguous();
    const at::Tensor grad_gradient = summed.narrow(1, 1, 3).contiguous();
    const at::Tensor grad_flow = geometry.has_flow ? summed.narrow(1, 4, 2).contiguous() : at::Tensor();
    // The per-ray terms summed in ray order (deterministic for any thread count).
    const at::Tensor grad_inv_s =
        grad_inv_s_per_ray.sum().to(saved[4].scalar_type()).reshape(saved[4].sizes());
    return {grad_sdf,     grad_gradient, grad_flow,  at::Tensor(), at::Tensor(),
            at::Tensor(), at::Tensor(),  grad_inv_s, at::Tensor()};
  }

 private:
  // [B, C, X, Y, Z] volumes -> one [B, X, Y, Z, C'] tensor (channel-last).
  static at::Tensor pack(const at::Tensor& sdf, const at::Tensor& gradient, const at::Tensor& flow,
                         bool has_flow) {
    const at::Tensor stacked = has_flow ? at::cat({sdf, gradient, flow}, 1) : at::cat({sdf, gradient}, 1);
    return stacked.permute({0, 2, 3, 4, 1}).contiguous();
  }
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
