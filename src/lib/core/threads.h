#pragma once
// One thread budget for the whole process (-j/--threads): our own parallel
// loops, OpenCV and (through occ_torch) LibTorch all honour it, so `-j 2`
// really means two busy cores.
#include <cstdint>
#include <functional>

namespace occ {

// 0 means "all hardware threads". Sets our budget and OpenCV's
// (threads_opencv.cpp).
void set_thread_budget(int threads);
// Sets our budget only (parallel_for, thread_budget()), for a program that
// does not load OpenCV: the occ executable (docs/startup.md).
void set_own_thread_budget(int threads);
int thread_budget();

// Calls body(i) for i in [0, count) on up to thread_budget() threads: the
// calling thread and a pool of worker threads started once per process (on
// the first loop that needs them) and joined at exit. The first exception
// thrown by any call is rethrown after all workers stop; remaining items are
// skipped once one has failed. A parallel_for inside a body, or while another
// thread's loop holds the pool, runs inline on its calling thread, in order
// (no deadlock, no oversubscription).
void parallel_for(int64_t count, const std::function<void(int64_t)>& body);
// The pool's worker threads started so far (kept until the process exits).
int pool_thread_count();

}  // namespace occ
