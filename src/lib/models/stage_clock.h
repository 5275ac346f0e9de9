#pragma once
// Wall time per named stage of a forward pass, accumulated over calls.
#include <chrono>
#include <functional>
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
    if (listener_) listener_(stage);
    last_ = std::chrono::steady_clock::now();
  }
  // Called at every mark with the stage that just ended (benchmarks read
  // counters there); its own time is not charged to any stage.
  void set_listener(std::function<void(const std::string& stage)> listener) {
    listener_ = std::move(listener);
  }
  const std::map<std::string, double>& seconds() const { return seconds_; }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::map<std::string, double> seconds_;
  std::function<void(const std::string&)> listener_;
};

// Marks a stage when `clock` is set (nullptr: nothing to do).
inline void mark_stage(StageClock* clock, const std::string& stage) {
  if (clock != nullptr) clock->mark(stage);
}

}  // namespace occ::models
