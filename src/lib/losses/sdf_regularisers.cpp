#include "losses/sdf_regularisers.h"

#include <vector>

#include "core/error.h"
#include "losses/loss_input_checks.h"

namespace occ::losses {
namespace {

void check_grid(const at::Tensor& volume, int64_t channels, const char* what) {
  if (!volume.defined() || volume.dim() != 5 || volume.size(1) != channels || volume.size(2) < 3 ||
      volume.size(3) < 3 || volume.size(4) < 3)
    throw UsageError(std::string(what) + " expects [B, " + std::to_string(channels) +
                     ", X, Y, Z] with every axis >= 3, got " + detail::shape_text(volume));
}

// The interior [1, n-1) of the three spatial axes.
at::Tensor interior(const at::Tensor& volume) {
  return volume.narrow(2, 1, volume.size(2) - 2)
      .narrow(3, 1, volume.size(3) - 2)
      .narrow(4, 1, volume.size(4) - 2);
}

// volume shifted by `offset` (-1, 0, +1) along spatial axis `axis`, on the interior.
at::Tensor shifted(const at::Tensor& volume, const std::vector<int64_t>& offset) {
  at::Tensor out = volume;
  for (int64_t axis = 0; axis < 3; ++axis) {
    const int64_t dim = 2 + axis;
    out = out.narrow(dim, 1 + offset[static_cast<size_t>(axis)], volume.size(dim) - 2);
  }
  return out;
}

}  // namespace

at::Tensor eikonal_loss(const at::Tensor& grid_gradients, const at::Tensor& sample_gradients) {
  check_grid(grid_gradients, 3, "eikonal loss");
  const at::Tensor grid_terms = (interior(grid_gradients).norm(2, 1) - 1.0).square().flatten();
  if (!sample_gradients.defined()) return grid_terms.mean();
  if (sample_gradients.size(-1) != 3)
    throw UsageError("eikonal loss expects sample gradients [..., 3], got " +
                     detail::shape_text(sample_gradients));
  const at::Tensor sample_terms = (sample_gradients.norm(2, -1) - 1.0).square().flatten();
  return at::cat({grid_terms, sample_terms.to(grid_terms.scalar_type())}).mean();
}

at::Tensor hessian_loss(const at::Tensor& sdf, const render::VolumeBox& box) {
  check_grid(sdf, 1, "hessian loss");
  std::vector<at::Tensor> entries;
  const at::Tensor centre = interior(sdf);
  for (int64_t a = 0; a < 3; ++a) {
    std::vector<int64_t> plus(3, 0), minus(3, 0);
    plus[static_cast<size_t>(a)] = 1;
    minus[static_cast<size_t>(a)] = -1;
    const double h = box.voxel_size_m[static_cast<size_t>(a)];
    entries.push_back((shifted(sdf, plus) - 2.0 * centre + shifted(sdf, minus)) / (h * h));
    for (int64_t b = a + 1; b < 3; ++b) {
      const auto at_offset = [&](int64_t da, int64_t db) {
        std::vector<int64_t> offset(3, 0);
        offset[static_cast<size_t>(a)] = da;
        offset[static_cast<size_t>(b)] = db;
        return shifted(sdf, offset);
      };
      const double k = box.voxel_size_m[static_cast<size_t>(b)];
      entries.push_back((at_offset(1, 1) - at_offset(1, -1) - at_offset(-1, 1) + at_offset(-1, -1)) /
                        (4.0 * h * k));
    }
  }
  return at::stack(entries).abs().mean();
}

at::Tensor sparsity_loss(const at::Tensor& sdf_values) {
  if (!sdf_values.defined() || sdf_values.numel() == 0)
    throw UsageError("sparsity loss needs at least one sdf value");
  return at::relu(-sdf_values).mean();
}

at::Tensor beyond_depth_sparsity_loss(const at::Tensor& sample_sdf, const at::Tensor& t,
                                      const at::Tensor& distance, double margin_m) {
  if (!sample_sdf.defined() || !t.defined() || sample_sdf.sizes() != t.sizes() || !distance.defined() ||
      distance.sizes() != t.sizes().slice(0, t.dim() - 1))
    throw UsageError("beyond-depth sparsity expects sample sdf and t [..., S] and distance [...], got " +
                     detail::shape_text(sample_sdf) + ", " + detail::shape_text(t) + " and " +
                     detail::shape_text(distance));
  const at::Tensor beyond = (t > distance.detach().unsqueeze(-1) + margin_m).to(sample_sdf.scalar_type());
  return (at::relu(-sample_sdf) * beyond).sum() / beyond.sum().clamp_min(1.0);
}

}  // namespace occ::losses
