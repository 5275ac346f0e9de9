#include "core/threads.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace occ {
namespace {

int hardware_threads() {
  return std::max(1u, std::thread::hardware_concurrency());
}
int g_budget = 0;  // 0 until set: all hardware threads

}  // namespace

void set_own_thread_budget(int threads) {
  g_budget = threads > 0 ? threads : hardware_threads();
}

int thread_budget() {
  return g_budget > 0 ? g_budget : hardware_threads();
}

void parallel_for(int64_t count, const std::function<void(int64_t)>& body) {
  if (count <= 0) return;
  const int64_t workers = std::min<int64_t>(thread_budget(), count);
  if (workers <= 1) {
    for (int64_t i = 0; i < count; ++i) body(i);
    return;
  }
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  auto work = [&] {
    for (int64_t i = next++; i < count && !failed; i = next++) {
      try {
        body(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int64_t t = 1; t < workers; ++t) threads.emplace_back(work);
  work();
  for (auto& thread : threads) thread.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace occ
