// CSV training log: header, round trip of float and double values, per-row
// flushing, resuming, and the errors.
#include "train_log/csv_log.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "support/run.h"
#include "support/temp_dir.h"

namespace occ::train_log {
namespace {

TEST(CsvLog, WritesHeaderAndRowsThatRoundTrip) {
  test::TempDir dir;
  const std::string path = dir.file("train.csv");
  const float lr = 2e-4f;  // not exact in binary: needs all of its digits
  const double loss = 0.1 + 0.2;
  {
    CsvLog log(path, {"step", "loss", "lr"});
    log.log({0, loss, lr});
    log.log({500, 1.0 / 3.0, std::numeric_limits<float>::denorm_min()});
    log.log({1000, -0.0, 1e300});
  }
  EXPECT_EQ(test::read_text(path),
            "step,loss,lr\n"
            "0,0.30000000000000004,0.00019999999494757503\n"
            "500,0.3333333333333333,1.401298464324817e-45\n"
            "1000,-0,1e+300\n");
  const auto table = read_csv_log(path);
  EXPECT_EQ(table.columns, (std::vector<std::string>{"step", "loss", "lr"}));
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(table.rows[0][1], loss);
  EXPECT_EQ(static_cast<float>(table.rows[0][2]), lr);
  EXPECT_EQ(table.rows[1][1], 1.0 / 3.0);
  EXPECT_EQ(static_cast<float>(table.rows[1][2]), std::numeric_limits<float>::denorm_min());
  EXPECT_TRUE(std::signbit(table.rows[2][1]));
}

TEST(CsvLog, NonFiniteValuesRoundTrip) {
  test::TempDir dir;
  const std::string path = dir.file("train.csv");
  CsvLog(path, {"a", "b", "c"}).log({std::nan(""), HUGE_VAL, -HUGE_VAL});
  EXPECT_EQ(test::read_text(path), "a,b,c\nnan,inf,-inf\n");
  const auto row = read_csv_log(path).rows.at(0);
  EXPECT_TRUE(std::isnan(row[0]));
  EXPECT_EQ(row[1], HUGE_VAL);
  EXPECT_EQ(row[2], -HUGE_VAL);
}

TEST(CsvLog, EachRowIsOnDiskBeforeTheNextCall) {
  test::TempDir dir;
  const std::string path = dir.file("train.csv");
  CsvLog log(path, {"step"});
  EXPECT_EQ(test::read_text(path), "step\n");
  log.log({1});
  EXPECT_EQ(test::read_text(path), "step\n1\n");
}

TEST(CsvLog, ResumesWhenTheHeaderMatches) {
  test::TempDir dir;
  const std::string path = dir.file("train.csv");
  CsvLog(path, {"step", "loss"}).log({1, 0.5});
  CsvLog(path, {"step", "loss"}).log({2, 0.25});
  EXPECT_EQ(test::read_text(path), "step,loss\n1,0.5\n2,0.25\n");
}

TEST(CsvLog, ResumeDropsARowCutShortByACrash) {
  test::TempDir dir;
  const std::string path = dir.file("train.csv");
  std::ofstream(path) << "step,loss\n1,0.5\n2,0.2";
  CsvLog(path, {"step", "loss"}).log({2, 0.25});
  EXPECT_EQ(test::read_text(path), "step,loss\n1,0.5\n2,0.25\n");

  // Only the header, its line break lost.
  std::ofstream(path, std::ios::trunc) << "step,loss";
  CsvLog(path, {"step", "loss"}).log({1, 0.5});
  EXPECT_EQ(test::read_text(path), "step,loss\n1,0.5\n");
}

TEST(CsvLog, EmptyFileGetsAHeader) {
  test::TempDir dir;
  const std::string path = dir.file("train.csv");
  std::ofstream{path};
  CsvLog(path, {"step"}).log({3});
  EXPECT_EQ(test::read_text(path), "step\n3\n");
}

TEST(CsvLog, DifferentHeaderIsAnErrorNamingTheFile) {
  test::TempDir dir;
  const std::string path = dir.file("train.csv");
  CsvLog(path, {"step", "loss"}).log({1, 0.5});
  try {
    CsvLog log(path, {"step", "loss", "lr"});
    FAIL() << "resumed a log with other columns";
  } catch (const FormatError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'" + path + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("step,loss,lr"), std::string::npos) << message;
  }
  EXPECT_EQ(test::read_text(path), "step,loss\n1,0.5\n");  // untouched
}

TEST(CsvLog, RejectsBadColumnsAndRows) {
  test::TempDir dir;
  const std::string path = dir.file("train.csv");
  EXPECT_THROW(CsvLog(path, {}), UsageError);
  EXPECT_THROW(CsvLog(path, {"a,b"}), UsageError);
  EXPECT_THROW((CsvLog(path, {"a", ""})), UsageError);
  EXPECT_THROW((CsvLog(path, {"a", "a"})), UsageError);
  EXPECT_FALSE(std::filesystem::exists(path));
  CsvLog log(path, {"a", "b"});
  EXPECT_THROW(log.log({1}), UsageError);
  EXPECT_EQ(test::read_text(path), "a,b\n");
}

TEST(CsvLog, UnwritablePathIsAnIoErrorNamingTheFile) {
  test::TempDir dir;
  const std::string path = dir.file("missing_folder/train.csv");
  try {
    CsvLog log(path, {"a"});
    FAIL() << "opened a file in a missing folder";
  } catch (const IoError& error) {
    EXPECT_NE(std::string(error.what()).find("'" + path + "'"), std::string::npos) << error.what();
  }
}

TEST(CsvLog, FolderInsteadOfAFileIsAnIoError) {
  test::TempDir dir;
  EXPECT_THROW(CsvLog(dir.path().string(), {"a"}), IoError);
}

TEST(CsvLog, ReaderNamesTheBadLine) {
  test::TempDir dir;
  const std::string path = dir.file("train.csv");
  std::ofstream(path) << "a,b\n1,2\n3,x\n";
  try {
    read_csv_log(path);
    FAIL() << "read a non-number";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("line 3"), std::string::npos) << error.what();
  }
  std::ofstream(path, std::ios::trunc) << "a,b\n1\n";
  EXPECT_THROW(read_csv_log(path), FormatError);
  EXPECT_THROW(read_csv_log(dir.file("absent.csv")), IoError);
}

}  // namespace
}  // namespace occ::train_log
