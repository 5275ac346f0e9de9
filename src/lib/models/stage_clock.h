#pragma once
// Wall time per named stage of a forward pass, accumulated over calls.
#include <chrono>
#include <map>
#include <string>

namespace occ::models {

class StageClock {
 public:
  // Adds the time since the previous mark (or since start()) to `stage`.
  void start() { last_ = std::chrono::steady_clock::now(); }
  void mark(const std::string& stage) {
    const auto now = std::chrono::steady_clock::now();
    seconds_[stage] += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }
  const std::map<std::string, double>& seconds() const { return seconds_; }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::map<std::string, double> seconds_;
};

// Marks a stage when `clock` is set (nullptr: nothing to do).
inline void mark_stage(StageClock* clock, const std::string& stage) {
  if (clock != nullptr) clock->mark(stage);
}

}  // namespace occ::models
