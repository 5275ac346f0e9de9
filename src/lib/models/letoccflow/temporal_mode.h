#pragma once
// The temporal-fusion modes of Let Occ Flow (model.temporal; Table 4 of the
// paper): what temporal_volume_fusion.h builds for each.
#include <string>

namespace occ::models {

enum class TemporalMode { none, concat_conv, bev_forward, backward_forward };

// "none", "concat_conv", "bev_forward", "backward_forward".
const char* temporal_mode_name(TemporalMode mode);
// Throws UsageError naming `key` for another name.
TemporalMode parse_temporal_mode(const std::string& name, const std::string& key);

}  // namespace occ::models
