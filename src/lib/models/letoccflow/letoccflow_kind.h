#pragma once
// The registry entry of Let Occ Flow (`occ train --model letoccflow`): its
// builders, added to its description (model_catalog.cpp).
#include "models/registry.h"

namespace occ::models {

ModelKind letoccflow_kind(const KindDescription& description);

}  // namespace occ::models
