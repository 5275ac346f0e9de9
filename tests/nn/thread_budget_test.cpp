// -j N bounds every pool in the process (issue 21, item 5): after
// nn::apply_thread_budget (what every command's -j calls) LibTorch's
// intra-op pool, OpenCV's and occ's own parallel loops each report N and no
// parallel loop of any of them runs on more than N threads.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <opencv2/core/utility.hpp>

#include <mutex>
#include <set>
#include <thread>

#include "core/threads.h"
#include "nn/runtime.h"

namespace occ::nn {
namespace {

// Distinct threads that ran `loop(record)`, where record() notes the caller.
template <typename Loop>
size_t threads_used(Loop loop) {
  std::mutex mutex;
  std::set<std::thread::id> ids;
  loop([&] {
    std::lock_guard<std::mutex> lock(mutex);
    ids.insert(std::this_thread::get_id());
    // Long enough that an idle pool thread would pick up work too.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  });
  return ids.size();
}

void expect_bounded(int budget) {
  EXPECT_EQ(at::get_num_threads(), budget);
  EXPECT_EQ(cv::getNumThreads(), budget);
  EXPECT_EQ(thread_budget(), budget);
  const size_t torch = threads_used([](auto record) {
    at::parallel_for(0, 256, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) record();
    });
  });
  const size_t opencv = threads_used([](auto record) {
    cv::parallel_for_(cv::Range(0, 256), [&](const cv::Range& range) {
      for (int i = range.start; i < range.end; ++i) record();
    });
  });
  const size_t own = threads_used([](auto record) { parallel_for(256, [&](int64_t) { record(); }); });
  EXPECT_LE(torch, static_cast<size_t>(budget));
  EXPECT_LE(opencv, static_cast<size_t>(budget));
  EXPECT_LE(own, static_cast<size_t>(budget));
}

TEST(ThreadBudget, OneThreadBoundsLibTorchOpenCvAndOcc) {
  apply_thread_budget(1);
  expect_bounded(1);
}

TEST(ThreadBudget, TwoThreadsBoundEveryPoolAndZeroMeansAllCores) {
  apply_thread_budget(2);
  expect_bounded(2);
  apply_thread_budget(0);
  const int all = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(at::get_num_threads(), all);
  EXPECT_EQ(cv::getNumThreads(), all);
}

}  // namespace
}  // namespace occ::nn
