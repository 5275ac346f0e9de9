#include "core/progress.h"

#include <gtest/gtest.h>

namespace occ {
namespace {

struct Captured {
  std::vector<std::string> lines;
  double now = 0;
  ProgressStyle style(ProgressStyle::Mode mode) {
    ProgressStyle style;
    style.mode = mode;
    style.plain_interval_s = 10;
    style.redraw_interval_s = 0.1;
    style.sink = [this](const std::string& line) { lines.push_back(line); };
    style.clock = [this] { return now; };
    return style;
  }
};

TEST(Progress, PlainLinesArePeriodicWithRateAndEta) {
  Captured captured;
  {
    Progress progress("frames", 100, captured.style(ProgressStyle::Mode::plain));
    for (int i = 0; i < 50; ++i) {
      captured.now += 0.5;  // 2 items per second
      progress.advance();
    }
  }
  // Lines at t = 10 s and t = 20 s, then the final one.
  ASSERT_EQ(captured.lines.size(), 3u);
  EXPECT_EQ(captured.lines[0], "frames 20/100 (20%) 2/s ETA 00:40");
  EXPECT_EQ(captured.lines[1], "frames 40/100 (40%) 2/s ETA 00:30");
  EXPECT_EQ(captured.lines[2], "frames 50/100 (50%) 2/s ETA 00:25");
}

TEST(Progress, TerminalRedrawsInPlaceWithABar) {
  Captured captured;
  Progress progress("rays", 4, captured.style(ProgressStyle::Mode::terminal));
  for (int i = 0; i < 4; ++i) {
    captured.now += 1;
    progress.advance();
  }
  progress.finish();
  ASSERT_FALSE(captured.lines.empty());
  EXPECT_EQ(captured.lines.back(), "\rrays [########################] 4/4 (100%) 1/s elapsed 00:04\033[K\n");
  EXPECT_EQ(captured.lines.front().rfind("\rrays [######..................] 1/4", 0), 0u)
      << captured.lines.front();
}

TEST(Progress, SilentPrintsNothing) {
  Captured captured;
  {
    Progress progress("x", 3, captured.style(ProgressStyle::Mode::silent));
    captured.now = 100;
    progress.advance(3);
  }
  EXPECT_TRUE(captured.lines.empty());
}

TEST(Progress, Durations) {
  EXPECT_EQ(Progress::format_duration(0), "00:00");
  EXPECT_EQ(Progress::format_duration(61.4), "01:01");
  EXPECT_EQ(Progress::format_duration(3725), "1:02:05");
  EXPECT_EQ(Progress::format_duration(-1), "--:--");
}

}  // namespace
}  // namespace occ
