#include "nn/flop_counter.h"

#include <ATen/record_function.h>

#include <atomic>
#include <mutex>
#include <numeric>
#include <vector>

#include "core/error.h"

namespace occ::nn {
namespace {

struct CounterState {
  std::mutex mutex;
  std::map<std::string, int64_t> macs;
  at::CallbackHandle handle = 0;
  std::atomic<bool> active{false};
};
CounterState& state() {
  static CounterState counter;
  return counter;
}
thread_local int g_depth = 0;  // counted operators open on this thread

// Marks a counted operator, so on_end knows to close it.
struct CountedContext : at::ObserverContext {};

std::vector<int64_t> sizes_of(const c10::IValue& value) {
  if (!value.isTensor()) return {};
  return value.toTensor().sizes().vec();
}

int64_t product(const std::vector<int64_t>& values, size_t from = 0, size_t to = SIZE_MAX) {
  int64_t result = 1;
  for (size_t i = from; i < std::min(to, values.size()); ++i) result *= values[i];
  return result;
}

std::vector<int64_t> int_list(const c10::IValue& value) {
  if (value.isIntList()) return value.toIntVector();
  return {};
}

// aten::convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)
int64_t convolution_macs(c10::ArrayRef<const c10::IValue> inputs) {
  if (inputs.size() < 9) return 0;
  const auto input = sizes_of(inputs[0]);
  const auto weight = sizes_of(inputs[1]);
  if (input.size() < 3 || weight.size() != input.size()) return 0;
  const auto stride = int_list(inputs[3]);
  const auto padding = int_list(inputs[4]);
  const auto dilation = int_list(inputs[5]);
  const bool transposed = inputs[6].isBool() && inputs[6].toBool();
  const size_t spatial = input.size() - 2;
  auto at_or = [](const std::vector<int64_t>& list, size_t i, int64_t fallback) {
    if (list.empty()) return fallback;
    return list.size() == 1 ? list[0] : list[i];
  };
  const int64_t kernel = product(weight, 2);
  if (transposed) {
    // weight [in, out / groups, k...]: every input value is multiplied into
    // out / groups x kernel outputs.
    return product(input) * weight[1] * kernel;
  }
  int64_t outputs = input[0] * weight[0];
  for (size_t i = 0; i < spatial; ++i) {
    const int64_t size =
        input[2 + i] + 2 * at_or(padding, i, 0) - at_or(dilation, i, 1) * (weight[2 + i] - 1) - 1;
    outputs *= size / at_or(stride, i, 1) + 1;
  }
  return outputs * weight[1] * kernel;  // weight[1] = in / groups
}

int64_t matmul_macs(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  if (a.empty() || b.empty()) return 0;
  const int64_t k = a.back();
  const int64_t m = b.size() >= 2 ? b.back() : 1;
  const int64_t rows = product(a) / k;  // batch x n
  const int64_t batch_b = b.size() > 2 ? product(b, 0, b.size() - 2) : 1;
  const int64_t batch_a = a.size() > 2 ? product(a, 0, a.size() - 2) : 1;
  // Broadcast batches of b beyond a's.
  return rows * m * k * std::max<int64_t>(1, batch_b / std::max<int64_t>(batch_a, 1));
}

int64_t operator_macs(const std::string& name, c10::ArrayRef<const c10::IValue> inputs) {
  if (name == "aten::convolution") return convolution_macs(inputs);
  if (name == "aten::linear" && inputs.size() >= 2) {
    const auto input = sizes_of(inputs[0]);
    const auto weight = sizes_of(inputs[1]);
    if (input.empty() || weight.size() != 2) return 0;
    return product(input) * weight[0];
  }
  if ((name == "aten::matmul" || name == "aten::mm" || name == "aten::bmm") && inputs.size() >= 2) {
    return matmul_macs(sizes_of(inputs[0]), sizes_of(inputs[1]));
  }
  if ((name == "aten::addmm" || name == "aten::baddbmm") && inputs.size() >= 3) {
    return matmul_macs(sizes_of(inputs[1]), sizes_of(inputs[2]));
  }
  if (name == "aten::grid_sampler_2d" && inputs.size() >= 2) {
    // Output [N, C, Hg, Wg]: 4 bilinear taps per value.
    const auto input = sizes_of(inputs[0]);
    const auto grid = sizes_of(inputs[1]);
    if (input.size() != 4 || grid.size() != 4) return 0;
    return input[0] * input[1] * grid[1] * grid[2] * 4;
  }
  if (name == "occ::msda" && inputs.size() >= 5) {
    // value [B, S, heads, C/heads], weights [B, Q, heads, levels, points]:
    // 4 bilinear taps and one attention weight per sample and channel.
    const auto value = sizes_of(inputs[0]);
    const auto weights = sizes_of(inputs[4]);
    if (value.size() != 4 || weights.size() != 5) return 0;
    return product(weights) * value[3] * 5;
  }
  if (name == "occ::upsampling_conv_transpose3d" && inputs.size() >= 2) {
    // As the ConvTranspose3d it equals: each input value times out x kernel.
    const auto input = sizes_of(inputs[0]);
    const auto weight = sizes_of(inputs[1]);
    if (input.size() != 5 || weight.size() != 5) return 0;
    return product(input) * weight[1] * product(weight, 2);
  }
  return -1;  // not a counted operator
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& function) {
  CounterState& counter = state();
  if (!counter.active.load()) return nullptr;
  const std::string name = function.name();
  const int64_t macs = operator_macs(name, function.inputs());
  if (macs < 0) return nullptr;
  if (g_depth++ == 0) {
    std::lock_guard<std::mutex> lock(counter.mutex);
    counter.macs[name] += macs;
  }
  return std::make_unique<CountedContext>();
}

void on_end(const at::RecordFunction&, at::ObserverContext* context) {
  if (context != nullptr) --g_depth;  // only counted operators got a context
}

}  // namespace

FlopCounter::FlopCounter() {
  CounterState& counter = state();
  if (counter.active.exchange(true)) throw Error("a FlopCounter is already counting");
  counter.macs.clear();
  counter.handle =
      at::addThreadLocalCallback(at::RecordFunctionCallback(on_start, on_end)
                                     .needsInputs(true)
                                     .scopes({at::RecordScope::FUNCTION, at::RecordScope::USER_SCOPE}));
}

FlopCounter::~FlopCounter() {
  CounterState& counter = state();
  at::removeCallback(counter.handle);
  counter.active = false;
}

int64_t FlopCounter::total_macs() const {
  const auto all = by_operator();
  return std::accumulate(all.begin(), all.end(), int64_t{0},
                         [](int64_t sum, const auto& item) { return sum + item.second; });
}

std::map<std::string, int64_t> FlopCounter::by_operator() const {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().macs;
}

}  // namespace occ::nn
