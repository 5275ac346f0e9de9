#pragma once
// The --device option of occ train and occ predict.
#include <c10/core/Device.h>

#include <string>

namespace occ::train {

// "cpu", "cuda" or "cuda:N"; UsageError for anything else, or for cuda when
// the linked LibTorch has no CUDA (or no GPU is visible).
c10::Device parse_device(const std::string& text);

}  // namespace occ::train
