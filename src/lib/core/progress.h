#pragma once
// Progress of long work on stderr: a redrawn bar with rate and ETA on a
// terminal, plain periodic lines otherwise (logs, CI), nothing with -q.
// advance() is thread-safe so parallel workers can report directly.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace occ {

struct ProgressStyle {
  enum class Mode { automatic, terminal, plain, silent };
  Mode mode = Mode::automatic;     // automatic: terminal if stderr is a tty, silent with -q
  double plain_interval_s = 10.0;  // seconds between plain lines
  double redraw_interval_s = 0.1;  // seconds between terminal redraws
  // Where lines go; tests capture them. Defaults to stderr.
  std::function<void(const std::string&)> sink;
  // Seconds since some fixed point; tests inject a fake clock.
  std::function<double()> clock;
};

class Progress {
 public:
  Progress(std::string label, int64_t total, ProgressStyle style = {});
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(int64_t count = 1);
  // Prints the final state once; called by the destructor if not before.
  void finish();
  // Work failed: clear a terminal bar and print no final state, so the
  // error message is not preceded by a progress line.
  void cancel();
  int64_t done() const { return done_.load(); }
  // Text shown after the rate and ETA (e.g. training losses and the learning
  // rate); thread-safe.
  void set_status(std::string status);

  // "12.3 it/s", "ETA 01:02:03": exposed for tests.
  static std::string format_duration(double seconds);

 private:
  void report(bool final_report);
  std::string line(double elapsed) const;

  std::string label_;
  int64_t total_;
  ProgressStyle style_;
  ProgressStyle::Mode mode_;
  double start_ = 0;
  double last_report_ = 0;
  std::atomic<int64_t> done_{0};
  std::mutex mutex_;
  bool finished_ = false;
  std::string status_;  // guarded by mutex_
};

}  // namespace occ
