#include "losses/ssim.h"

#include "core/error.h"
#include "losses/loss_input_checks.h"

namespace occ::losses {

at::Tensor ssim_dissimilarity(const at::Tensor& x, const at::Tensor& y) {
  if (!x.defined() || x.dim() != 4 || !y.defined() || x.sizes() != y.sizes() || x.size(2) < 2 ||
      x.size(3) < 2)
    throw UsageError("ssim expects two [B, C, H, W] images of one shape with H, W >= 2, got " +
                     detail::shape_text(x) + " and " + detail::shape_text(y));
  constexpr double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  const at::Tensor px = at::reflection_pad2d(x, {1, 1, 1, 1});
  const at::Tensor py = at::reflection_pad2d(y, {1, 1, 1, 1});
  const auto mean = [](const at::Tensor& image) { return at::avg_pool2d(image, {3, 3}, {1, 1}); };
  const at::Tensor mu_x = mean(px), mu_y = mean(py);
  const at::Tensor sigma_x = mean(px * px) - mu_x * mu_x;
  const at::Tensor sigma_y = mean(py * py) - mu_y * mu_y;
  const at::Tensor sigma_xy = mean(px * py) - mu_x * mu_y;
  const at::Tensor numerator = (2.0 * mu_x * mu_y + c1) * (2.0 * sigma_xy + c2);
  const at::Tensor denominator = (mu_x * mu_x + mu_y * mu_y + c1) * (sigma_x + sigma_y + c2);
  return ((1.0 - numerator / denominator) * 0.5).clamp(0.0, 1.0);
}

}  // namespace occ::losses
