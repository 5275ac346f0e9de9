#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace occ::train {

double LrSchedule::at(int64_t step) const {
  double regular = lr;
  if (kind == "cosine") {
    // mmcv annealing_cos(start, end, progress) with progress = step / max_iters.
    const double end = lr * min_lr_ratio;
    const double progress =
        static_cast<double>(step) / static_cast<double>(std::max<int64_t>(total_steps, 1));
    regular = end + 0.5 * (lr - end) * (1.0 + std::cos(M_PI * progress));
  } else if (kind == "step") {
    const auto passed =
        std::count_if(milestones.begin(), milestones.end(), [&](int64_t m) { return step >= m; });
    regular = lr * std::pow(gamma, static_cast<double>(passed));
  }
  if (step < warmup_steps) {
    // mmcv linear warm-up: k = (1 - iter / warmup_iters) * (1 - warmup_ratio).
    const double k =
        (1.0 - static_cast<double>(step) / static_cast<double>(warmup_steps)) * (1.0 - warmup_ratio);
    return regular * (1.0 - k);
  }
  return regular;
}

void LrSchedule::validate() const {
  if (kind != "cosine" && kind != "step" && kind != "constant") {
    throw UsageError(str("train.schedule.kind must be cosine, step or constant, not ", quoted(kind)));
  }
  if (!(lr > 0)) throw UsageError("train.optimizer.lr must be positive");
  if (warmup_steps < 0) throw UsageError("train.schedule.warmup_steps must be >= 0");
  if (!(warmup_ratio > 0 && warmup_ratio <= 1))
    throw UsageError("train.schedule.warmup_ratio must be in (0, 1]");
  if (!(min_lr_ratio >= 0 && min_lr_ratio <= 1))
    throw UsageError("train.schedule.min_lr_ratio must be in [0, 1]");
  if (!(gamma > 0)) throw UsageError("train.schedule.gamma must be positive");
}

}  // namespace occ::train
