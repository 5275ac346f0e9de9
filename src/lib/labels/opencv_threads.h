#pragma once
// While occ's own parallel loop runs over images, OpenCV inside each worker
// runs single-threaded, so the -j budget is not multiplied; the previous
// setting comes back afterwards.
#include <opencv2/core/utility.hpp>

namespace occ::labels {

class OpenCvThreadsForOuterLoop {
 public:
  OpenCvThreadsForOuterLoop() : previous_(cv::getNumThreads()) { cv::setNumThreads(1); }
  ~OpenCvThreadsForOuterLoop() { cv::setNumThreads(previous_); }
  OpenCvThreadsForOuterLoop(const OpenCvThreadsForOuterLoop&) = delete;
  OpenCvThreadsForOuterLoop& operator=(const OpenCvThreadsForOuterLoop&) = delete;

 private:
  int previous_;
};

}  // namespace occ::labels
