#pragma once
// NeuS volume rendering of an SDF volume and a flow volume along rays: THE
// place that defines its semantics. render_reference (plain LibTorch ops,
// autograd) is the test oracle; render_fused (one CPU kernel with its own
// backward) and any later CUDA kernel must compute exactly this.
//
// Sources: NeuS (Wang et al., NeurIPS 2021, Eq. 13) as sdfstudio implements it
// (eliliu2233/sdfstudio_occ, the renderer of Let Occ Flow and SelfOcc), and
// Let Occ Flow (Liu et al., CoRL 2024, Eq. 13-14); the facts are summarised in
// ../shared/reference/letoccflow.md, "Fields and rendering".
//
// Inputs, per batch element b (B >= 1) and ray r (R rays):
//   sdf      [B, 1, X, Y, Z]  signed distance (metres) on the vertex grid of `box`
//   flow     [B, 2, X, Y, Z]  BEV displacement (metres, x and y) or undefined
//   o_r, d_r origin and UNIT direction in the ego frame, [B, R, 3]
//   t_ri     sample distances along the ray (metres), [B, R, S]
//   delta_ri sample lengths, [B, R, S] (rays.h: stratified_samples)
//   inv_s    0-dim tensor, the NeuS inverse standard deviation exp(10 v)
//   r        cos_anneal_ratio = min(1, step / 5000), a plain number
//
// Per sample i of ray r, with p = o_r + t_ri d_r:
//   s_i     = trilinear(sdf, p)                 vertex grid, align_corners=True,
//   f_i     = trilinear(flow, p)                border padding (coordinates clamped
//   g_i     = trilinear(G, p)                   to the box); G = sdf_gradient_volume(sdf):
//             central differences in metres with replication padding (fields.h)
//   cos_i   = d_r . g_i
//   c_i     = -[relu(-0.5 cos_i + 0.5) (1 - r) + relu(-cos_i) r]      (annealed cosine)
//   a_i     = sigmoid((s_i - c_i delta_i / 2) inv_s)                   ("prev" cdf)
//   b_i     = sigmoid((s_i + c_i delta_i / 2) inv_s)                   ("next" cdf)
//   alpha_i = clamp((a_i - b_i + 1e-5) / (a_i + 1e-5), 0, 1)
//   T_i     = prod_{j < i} (1 - alpha_j)        (T_0 = 1; sdfstudio adds 1e-7 to
//             every factor; we do not, so that sum_i w_i <= 1 holds exactly)
//   w_i     = alpha_i T_i
// Per ray:
//   distance = sum_i w_i t_i    (metres along the unit ray; rays.h converts it to
//                                camera z with z_per_distance)
//   opacity  = sum_i w_i
//   flow     = sum_i w_i f_i    [2]
// Gradients flow to sdf (through s_i and through G), flow and inv_s; rays,
// samples and r are constants. The derivative of clamp passes on the closed
// interval [0, 1] and that of relu is 0 at 0, as LibTorch's.
#include <ATen/ATen.h>

#include "render/volume_box.h"

namespace occ::render {

struct FieldVolumes {
  at::Tensor sdf;   // [B, 1, X, Y, Z]
  at::Tensor flow;  // [B, 2, X, Y, Z], or undefined: no flow outputs
};

struct RaySamples {
  at::Tensor origins;     // [B, R, 3] ego frame, metres
  at::Tensor directions;  // [B, R, 3] unit vectors
  at::Tensor t;           // [B, R, S] sample distances along the ray
  at::Tensor deltas;      // [B, R, S] sample lengths
};

struct RenderOutput {
  at::Tensor weights;           // [B, R, S]
  at::Tensor distance;          // [B, R] expected ray distance (not z)
  at::Tensor opacity;           // [B, R] accumulated weight, <= 1
  at::Tensor flow;              // [B, R, 2] rendered flow (undefined without a flow volume)
  at::Tensor sample_sdf;        // [B, R, S]
  at::Tensor sample_gradients;  // [B, R, S, 3] (eikonal term, sdf_regularisers.h)
  at::Tensor sample_flow;       // [B, R, S, 2] (flow losses; undefined without flow)
};

// The LibTorch reference (grid_sampler + cumprod + autograd); any device.
RenderOutput render_reference(const FieldVolumes& fields, const VolumeBox& box, const RaySamples& rays,
                              const at::Tensor& inv_s, double cos_anneal_ratio);

// The same on CPU in one pass per ray (at::parallel_for over rays) with its
// own backward, which recomputes the per-sample values instead of storing
// them. float or double; no double backward. Gradient sums into the volumes
// are deterministic, whatever the thread count.
RenderOutput render_fused(const FieldVolumes& fields, const VolumeBox& box, const RaySamples& rays,
                          const at::Tensor& inv_s, double cos_anneal_ratio);

// render_fused when `fused` and the volumes are on CPU (float or double),
// else render_reference (the RenderConfig::fused switch).
RenderOutput render_neus(const FieldVolumes& fields, const VolumeBox& box, const RaySamples& rays,
                         const at::Tensor& inv_s, double cos_anneal_ratio, bool fused);

// The sample positions o + t d, [B, R, S, 3].
at::Tensor sample_points(const RaySamples& rays);

// r = min(1, step / anneal_steps) (anneal_steps 5000 in the reference; 0 or
// less means no annealing: r = 1).
double cos_anneal_ratio(int64_t step, int64_t anneal_steps);

}  // namespace occ::render
