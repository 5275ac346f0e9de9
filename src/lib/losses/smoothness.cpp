#include "losses/smoothness.h"

#include "core/error.h"
#include "losses/loss_input_checks.h"

namespace occ::losses {
namespace {

// values [M, C, rows, cols], colour [M, 3, rows, cols].
at::Tensor edge_aware(const at::Tensor& values, const at::Tensor& colour) {
  const auto dx = [](const at::Tensor& x) {
    return (x.narrow(3, 0, x.size(3) - 1) - x.narrow(3, 1, x.size(3) - 1)).abs();
  };
  const auto dy = [](const at::Tensor& x) {
    return (x.narrow(2, 0, x.size(2) - 1) - x.narrow(2, 1, x.size(2) - 1)).abs();
  };
  const at::Tensor edge_x = at::exp(-dx(colour).mean(1, true)), edge_y = at::exp(-dy(colour).mean(1, true));
  return (dx(values) * edge_x).mean() + (dy(values) * edge_y).mean();
}

void check(const at::Tensor& values, int64_t dims, const at::Tensor& colour, const char* what) {
  if (!values.defined() || values.dim() != dims || values.size(2) < 2 || values.size(3) < 2 ||
      !colour.defined() || colour.dim() != 5 || colour.sizes().slice(0, 4) != values.sizes().slice(0, 4) ||
      colour.size(4) != 3)
    throw UsageError(std::string(what) + ": values " + detail::shape_text(values) +
                     " and ray colours [B, N, rows, cols, 3] " + detail::shape_text(colour) + " disagree");
}

at::Tensor grid_colour(const at::Tensor& colour) {
  return colour.flatten(0, 1).permute({0, 3, 1, 2});
}

}  // namespace

at::Tensor disparity_smoothness(const at::Tensor& depth, const at::Tensor& colour) {
  check(depth, 4, colour, "disparity smoothness");
  const at::Tensor disparity = (depth + 1e-7).reciprocal().flatten(0, 1).unsqueeze(1);  // [M, 1, rows, cols]
  const at::Tensor normalised = disparity / disparity.mean({2, 3}, true);
  return edge_aware(normalised, grid_colour(colour).to(depth.scalar_type()));
}

at::Tensor flow_smoothness(const at::Tensor& flow, const at::Tensor& colour) {
  check(flow, 5, colour, "flow smoothness");
  return edge_aware(grid_colour(flow), grid_colour(colour).to(flow.scalar_type()));
}

}  // namespace occ::losses
