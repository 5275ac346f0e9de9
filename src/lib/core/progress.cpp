#include "core/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "core/log.h"
#include "core/strings.h"

namespace occ {
namespace {

double steady_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

constexpr int kBarWidth = 24;

}  // namespace

Progress::Progress(std::string label, int64_t total, ProgressStyle style)
    : label_(std::move(label)), total_(total), style_(std::move(style)) {
  if (!style_.clock) style_.clock = steady_seconds;
  const bool is_terminal = !style_.sink && isatty(STDERR_FILENO);
  if (!style_.sink) {
    style_.sink = [is_terminal](const std::string& text) {
      std::fputs(text.c_str(), stderr);
      if (!is_terminal) std::fputc('\n', stderr);
      std::fflush(stderr);
    };
  }
  mode_ = style_.mode;
  if (mode_ == ProgressStyle::Mode::automatic) {
    if (log::level() == log::Level::quiet) {
      mode_ = ProgressStyle::Mode::silent;
    } else {
      mode_ = is_terminal ? ProgressStyle::Mode::terminal : ProgressStyle::Mode::plain;
    }
  }
  start_ = last_report_ = style_.clock();
}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {
    // A destructor must not throw; losing the last progress line is harmless.
  }
}

void Progress::advance(int64_t count) {
  done_.fetch_add(count);
  if (mode_ == ProgressStyle::Mode::silent) return;
  const double now = style_.clock();
  const double interval =
      mode_ == ProgressStyle::Mode::terminal ? style_.redraw_interval_s : style_.plain_interval_s;
  if (now - last_report_ < interval) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_ || now - last_report_ < interval) return;
  last_report_ = now;
  report(false);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (mode_ == ProgressStyle::Mode::silent) return;
  report(true);
}

void Progress::cancel() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (mode_ == ProgressStyle::Mode::terminal) style_.sink("\r\033[K");
}

void Progress::report(bool final_report) {
  const double elapsed = style_.clock() - start_;
  std::string text = line(elapsed);
  if (mode_ == ProgressStyle::Mode::terminal) {
    // \r redraws in place; \033[K clears what a longer earlier line left.
    text = "\r" + text + "\033[K";
    if (final_report) text += "\n";
  }
  style_.sink(text);
}

std::string Progress::line(double elapsed) const {
  const int64_t done = done_.load();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  std::string text = label_ + " ";
  if (total_ > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    if (mode_ == ProgressStyle::Mode::terminal) {
      const int filled = static_cast<int>(std::lround(fraction * kBarWidth));
      text += "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "] ";
    }
    text += str(done, "/", total_, " (", std::lround(fraction * 100), "%)");
  } else {
    text += str(done);
  }
  char rate_text[32];
  std::snprintf(rate_text, sizeof rate_text, " %.3g/s", rate);
  text += rate_text;
  if (total_ > 0 && done < total_ && rate > 0) {
    text += " ETA " + format_duration(static_cast<double>(total_ - done) / rate);
  } else {
    text += " elapsed " + format_duration(elapsed);
  }
  if (!status_.empty()) text += " " + status_;
  return text;
}

void Progress::set_status(std::string status) {
  std::lock_guard<std::mutex> lock(mutex_);
  status_ = std::move(status);
}

std::string Progress::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto total = static_cast<int64_t>(std::llround(seconds));
  const int64_t hours = total / 3600;
  const int64_t minutes = (total / 60) % 60;
  const int64_t secs = total % 60;
  char text[32];
  if (hours > 0) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(hours),
                  static_cast<long long>(minutes), static_cast<long long>(secs));
  } else {
    std::snprintf(text, sizeof text, "%02lld:%02lld", static_cast<long long>(minutes),
                  static_cast<long long>(secs));
  }
  return text;
}

}  // namespace occ
