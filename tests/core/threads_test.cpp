#include "core/threads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <sys/syscall.h>
#include <unistd.h>

namespace occ {
namespace {

// The kernel's id of the calling thread: new threads get new ids (unlike
// std::thread::id, which a joined thread's successor may reuse).
long kernel_thread_id() {
  return syscall(SYS_gettid);
}

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

TEST(Threads, LoopsShareThePoolsThreadsInsteadOfStartingNewOnes) {
  std::mutex mutex;
  std::set<long> threads;
  const auto record = [&](int64_t) {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    std::lock_guard<std::mutex> lock(mutex);
    threads.insert(kernel_thread_id());
  };
  set_thread_budget(2);
  parallel_for(8, record);
  const int started = pool_thread_count();  // earlier tests may have started more
  EXPECT_GE(started, 1);
  for (int loop = 0; loop < 20; ++loop) parallel_for(8, record);
  EXPECT_EQ(pool_thread_count(), started) << "no thread started after the first loop";
  EXPECT_LE(threads.size(), static_cast<size_t>(started) + 1) << "the caller and the pool's threads only";
  set_thread_budget(3);  // the pool grows to the new budget, then stays
  parallel_for(8, record);
  const int grown = pool_thread_count();
  EXPECT_GE(grown, 2);
  for (int loop = 0; loop < 20; ++loop) parallel_for(8, record);
  EXPECT_EQ(pool_thread_count(), grown);
  EXPECT_LE(threads.size(), static_cast<size_t>(grown) + 1);
  set_thread_budget(0);
}

TEST(Threads, NestedLoopsRunInlineOnTheirThread) {
  set_thread_budget(2);
  std::vector<std::atomic<int>> visits(40 * 30);
  std::atomic<int> foreign{0};
  parallel_for(40, [&](int64_t i) {
    const long outer = kernel_thread_id();
    parallel_for(30, [&](int64_t j) {
      visits[static_cast<size_t>(i * 30 + j)]++;
      if (kernel_thread_id() != outer) foreign++;
    });
  });
  for (const auto& count : visits) ASSERT_EQ(count.load(), 1);
  EXPECT_EQ(foreign.load(), 0);
  set_thread_budget(0);
}

TEST(Threads, LoopsFromSeveralThreadsAtOnceAllFinish) {
  // Like training's loader workers, each decoding its own batch.
  set_thread_budget(2);
  std::vector<std::atomic<int64_t>> sums(3);
  std::vector<std::thread> callers;
  for (size_t c = 0; c < sums.size(); ++c) {
    callers.emplace_back([&, c] {
      for (int loop = 0; loop < 50; ++loop) parallel_for(100, [&](int64_t i) { sums[c] += i; });
    });
  }
  for (auto& caller : callers) caller.join();
  for (const auto& sum : sums) EXPECT_EQ(sum.load(), 50 * 4950);
  set_thread_budget(0);
}

TEST(Threads, APoolThatSawAnErrorRunsTheNextLoop) {
  set_thread_budget(2);
  EXPECT_THROW(parallel_for(100,
                            [](int64_t i) {
                              if (i == 3) throw std::invalid_argument("bad item");
                            }),
               std::invalid_argument);
  std::vector<std::atomic<int>> visits(500);
  parallel_for(500, [&](int64_t i) { visits[static_cast<size_t>(i)]++; });
  for (const auto& count : visits) ASSERT_EQ(count.load(), 1);
  set_thread_budget(0);
}

}  // namespace
}  // namespace occ
