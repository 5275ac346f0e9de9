#include "core/threads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
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

// True on a thread while it runs a parallel_for body (the caller's and the
// pool's threads alike): a parallel_for inside one runs inline.
thread_local bool t_inside_loop = false;

// One loop: the items are handed out one at a time from `next`.
struct Loop {
  int64_t count = 0;
  const std::function<void(int64_t)>* body = nullptr;
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr first_error;

  void work() {
    const bool was_inside = t_inside_loop;
    t_inside_loop = true;
    for (int64_t i = next++; i < count && !failed; i = next++) {
      try {
        (*body)(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed = true;
      }
    }
    t_inside_loop = was_inside;
  }
};

// The process's worker threads: started when a loop first needs them (up to
// the budget less the calling thread), then kept, waiting on a condition
// variable between loops, and joined when the process exits. One loop runs
// on them at a time; a caller that finds them busy (another thread's loop,
// e.g. training's loader workers) runs its own loop inline.
class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
    gone_ = true;
  }

  static bool gone() { return gone_; }

  int size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(threads_.size());
  }

  // Runs `loop` on the calling thread and up to `helpers` pool threads;
  // false (nothing run) when the pool is busy with another caller's loop.
  bool run(Loop& loop, int helpers) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (static_cast<int>(threads_.size()) < helpers) threads_.emplace_back([this] { serve(); });
      loop_ = &loop;
      seats_ = helpers;
      posted_.store(++generation_, std::memory_order_release);
    }
    wake_.notify_all();
    loop.work();
    std::unique_lock<std::mutex> lock(mutex_);
    seats_ = 0;  // every item is taken: threads that wake late stay out
    done_.wait(lock, [this] { return running_ == 0; });
    loop_ = nullptr;
    return true;
  }

 private:
  void serve() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      if (!stopping_ && generation_ == seen) {
        // Loops often follow each other within microseconds (eval: three
        // datasets, the label checks and the confusion counts per batch):
        // watching for the next one a moment before sleeping saves the
        // wake-up, which took 0.35 ms a loop on a busy machine.
        lock.unlock();
        const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicroseconds);
        while (posted_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < until)
          std::this_thread::yield();
        lock.lock();
      }
      wake_.wait(lock, [&] { return stopping_ || (generation_ != seen && seats_ > 0); });
      if (stopping_) return;
      seen = generation_;
      --seats_;
      ++running_;
      Loop* loop = loop_;
      lock.unlock();
      loop->work();
      lock.lock();
      if (--running_ == 0) done_.notify_all();
    }
  }

  std::mutex busy_;   // held by the caller whose loop runs on the pool
  std::mutex mutex_;  // guards everything below
  std::condition_variable wake_, done_;
  std::vector<std::thread> threads_;
  Loop* loop_ = nullptr;
  uint64_t generation_ = 0;          // one more per loop
  std::atomic<uint64_t> posted_{0};  // generation_, for watching without the lock
  static constexpr int kSpinMicroseconds = 200;
  int seats_ = 0;    // pool threads that may still join the current loop
  int running_ = 0;  // pool threads inside the current loop
  bool stopping_ = false;
  static inline bool gone_ = false;  // destroyed (static destruction at exit)
};

Pool& pool() {
  static Pool instance;
  return instance;
}

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
  Loop loop;
  loop.count = count;
  loop.body = &body;
  if (workers > 1 && !t_inside_loop && !Pool::gone() && pool().run(loop, static_cast<int>(workers - 1))) {
    if (loop.first_error) std::rethrow_exception(loop.first_error);
    return;
  }
  // One thread, a nested loop, or the pool busy with another thread's loop.
  for (int64_t i = 0; i < count; ++i) body(i);
}

int pool_thread_count() {
  return Pool::gone() ? 0 : pool().size();
}

}  // namespace occ
