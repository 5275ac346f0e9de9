#include "metrics/class_weights.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace occ::metrics {

std::vector<double> inverse_log_frequency_weights(const std::vector<int64_t>& counts) {
  if (counts.empty()) throw UsageError("class weights: no classes to weight");
  std::vector<double> weights;
  weights.reserve(counts.size());
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] < 0)
      throw UsageError("class weights: class " + std::to_string(c) + " has a negative count " +
                       std::to_string(counts[c]));
    weights.push_back(counts[c] == 0 ? 0.0 : 1.0 / std::log(static_cast<double>(counts[c]) + 0.001));
  }
  return weights;
}

}  // namespace occ::metrics
