#pragma once
// Learning-rate schedules as mmcv's LrUpdaterHook computes them per
// iteration (PanoOcc: CosineAnnealing, linear warm-up 500 iterations from
// 1/3 of the rate, min_lr_ratio 1e-3; see ../shared/reference/protoocc.md).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace occ::train {

struct LrSchedule {
  std::string kind = "cosine";  // cosine, step or constant
  double lr = 2e-4;             // base learning rate
  int64_t total_steps = 1;
  int64_t warmup_steps = 500;
  double warmup_ratio = 1.0 / 3.0;  // the rate starts at lr * ratio
  double min_lr_ratio = 1e-3;       // cosine: the final rate is lr * ratio
  std::vector<int64_t> milestones;  // step: the rate is multiplied by gamma at each
  double gamma = 0.1;

  // The rate of the update with 0-based index `step`.
  double at(int64_t step) const;
  void validate() const;  // throws UsageError naming the train.schedule key
};

}  // namespace occ::train
