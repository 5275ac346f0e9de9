// The part of the thread budget that needs OpenCV, apart from threads.cpp so
// that programs which never load OpenCV (the occ executable) do not link it.
#include <opencv2/core/utility.hpp>

#include "core/threads.h"

namespace occ {

void set_thread_budget(int threads) {
  set_own_thread_budget(threads);
  cv::setNumThreads(thread_budget());
}

}  // namespace occ
