// The CSV log of a resumed run: rows the interrupted run wrote after its last
// checkpoint are logged again by the resumed run, once.
#include "train/log_sinks.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "support/temp_dir.h"

namespace occ::train {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(LogSinks, ResumeDropsRowsAfterTheCheckpointBeforeAppending) {
  test::TempDir dir;
  LogSinkPaths paths;
  paths.csv_path = dir.file("log.csv");
  {
    LogSinks first(paths, LogSinks::Mode::fresh);
    for (int64_t step = 1; step <= 5; ++step)
      first.write(step, {{"step", static_cast<double>(step)}, {"loss", 10.0 - static_cast<double>(step)}});
  }
  // The checkpoint was at step 3: the resumed run logs 4 and 5 again.
  {
    LogSinks resumed(paths, LogSinks::Mode::resume);
    for (int64_t step = 4; step <= 6; ++step)
      resumed.write(step, {{"step", static_cast<double>(step)}, {"loss", 20.0 - static_cast<double>(step)}});
  }
  EXPECT_EQ(read_text(paths.csv_path), "step,loss\n1,9\n2,8\n3,7\n4,16\n5,15\n6,14\n");
  // A fresh run replaces the file.
  {
    LogSinks fresh(paths, LogSinks::Mode::fresh);
    fresh.write(1, {{"step", 1.0}, {"loss", 1.5}});
  }
  EXPECT_EQ(read_text(paths.csv_path), "step,loss\n1,1.5\n");
}

}  // namespace
}  // namespace occ::train
