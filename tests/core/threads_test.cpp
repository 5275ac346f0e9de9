#include "core/threads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace occ {
namespace {

TEST(Threads, ParallelForVisitsEveryIndexOnceWithinTheBudget) {
  set_thread_budget(3);
  EXPECT_EQ(thread_budget(), 3);
  std::vector<std::atomic<int>> visits(1000);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  parallel_for(1000, [&](int64_t i) {
    visits[i]++;
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(std::this_thread::get_id());
  });
  for (const auto& count : visits) ASSERT_EQ(count.load(), 1);
  EXPECT_LE(threads.size(), 3u);
  set_thread_budget(0);
  EXPECT_GE(thread_budget(), 1);
}

TEST(Threads, FirstErrorIsRethrownAfterWorkersStop) {
  set_thread_budget(2);
  std::atomic<int> ran{0};
  EXPECT_THROW(parallel_for(1000,
                            [&](int64_t i) {
                              ran++;
                              if (i == 10) throw std::runtime_error("boom");
                              std::this_thread::sleep_for(std::chrono::microseconds(200));
                            }),
               std::runtime_error);
  EXPECT_LT(ran.load(), 100) << "remaining items are skipped";
  parallel_for(0, [](int64_t) { FAIL(); });
  set_thread_budget(0);
}

}  // namespace
}  // namespace occ
