#include "models/letoccflow/temporal_mode.h"

#include "core/error.h"

namespace occ::models {

const char* temporal_mode_name(TemporalMode mode) {
  switch (mode) {
    case TemporalMode::none:
      return "none";
    case TemporalMode::concat_conv:
      return "concat_conv";
    case TemporalMode::bev_forward:
      return "bev_forward";
    case TemporalMode::backward_forward:
      return "backward_forward";
  }
  return "none";
}

TemporalMode parse_temporal_mode(const std::string& name, const std::string& key) {
  for (const TemporalMode mode : {TemporalMode::none, TemporalMode::concat_conv, TemporalMode::bev_forward,
                                  TemporalMode::backward_forward})
    if (name == temporal_mode_name(mode)) return mode;
  throw UsageError(key + " must be none, concat_conv, bev_forward or backward_forward, got " + quoted(name));
}

}  // namespace occ::models
