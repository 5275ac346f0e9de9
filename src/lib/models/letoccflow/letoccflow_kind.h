#pragma once
// The registry entry of Let Occ Flow (`occ train --model letoccflow`).
#include "models/registry.h"

namespace occ::models {

ModelKind letoccflow_kind();

}  // namespace occ::models
