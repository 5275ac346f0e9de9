#pragma once
// IEEE 754 binary16, the storage type of float16 datasets (flow, class
// probabilities). Arithmetic happens in float; this only converts.
#include <cstdint>

namespace occ {

struct Half {
  uint16_t bits = 0;
};

// Round to nearest even; overflow gives infinity, NaN stays NaN.
Half float_to_half(float value);
float half_to_float(Half value);

}  // namespace occ
