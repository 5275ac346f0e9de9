#pragma once
// A model whose loss weighs classes by their frequency in the training
// frames (the baseline's model.loss_ce_class_weighting). The trainer asks a
// model for this interface (dynamic_cast) and, when wants_class_counts(),
// counts the camera-visible voxels of each class over the training frames
// and hands them over before the first step, also when a run resumes.
#include <cstdint>
#include <vector>

namespace occ::models {

class ClassCountsConsumer {
 public:
  virtual ~ClassCountsConsumer() = default;
  virtual bool wants_class_counts() const = 0;
  // One count per grid class, in class order.
  virtual void set_class_counts(const std::vector<int64_t>& counts) = 0;
};

}  // namespace occ::models
