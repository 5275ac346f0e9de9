#include "train/device.h"

#include "core/error.h"
#include "core/strings.h"
#include "nn/runtime.h"

namespace occ::train {

c10::Device parse_device(const std::string& text) {
  if (text == "cpu") return c10::Device(c10::kCPU);
  if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
    if (!nn::cuda_available()) {
      throw UsageError(
          str("--device ", text, ": this LibTorch has no CUDA (or no GPU is visible); use --device cpu"));
    }
    try {
      return c10::Device(text);
    } catch (const std::exception&) {
      // c10 rejects malformed indices ("cuda:x"); fall through to the message below.
    }
  }
  throw UsageError(str("--device ", quoted(text), ": expected cpu, cuda or cuda:N"));
}

}  // namespace occ::train
