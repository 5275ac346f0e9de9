// TensorBoard event files: byte-exact encoding of a hand-built event, the
// TFRecord framing, and a written file decoded by tests/train_log's own
// reader (CRCs verified). TensorBoard's own reader reads `occ train
// --tensorboard` logs in tests/python/check_tensorboard_interop.py.
#include "train_log/tensorboard_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "support/temp_dir.h"
#include "train_log/event_file_reader.h"

namespace occ::train_log {
namespace {

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string text;
  for (const char byte : bytes) {
    text.push_back(digits[(static_cast<uint8_t>(byte) >> 4) & 0xF]);
    text.push_back(digits[static_cast<uint8_t>(byte) & 0xF]);
  }
  return text;
}

std::vector<std::string> event_files(const test::TempDir& dir, const std::string& sub) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / sub))
    files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(TensorBoardEncoding, ScalarEventBytes) {
  // Event{wall_time 0 (09 + 8 bytes), step 1 (10 01), summary (2a 0a)
  //   Summary{value (0a 08) Value{tag "a" (0a 01 61), simple_value 1.0f (15 0000803f)}}}
  EXPECT_EQ(hex(encode_scalar_event("a", 1.0f, 1, 0.0)), "09000000000000000010012a0a0a080a0161150000803f");
  // Negative steps are 10-byte varints; wall time 1.5 is 0x3ff8000000000000.
  EXPECT_EQ(hex(encode_scalar_event("", 0.0f, -1, 1.5)).substr(0, 40),
            "09000000000000f83f10ffffffffffffffffff01");
  EXPECT_EQ(hex(encode_file_version_event(0.0)),
            "09"
            "0000000000000000"
            "1a0d" +
                hex("brain.Event:2"));
}

TEST(TensorBoardEncoding, SessionStartEventBytes) {
  // Event{wall_time 0, step 5 (10 05), session_log (field 7: 3a 02)
  //   SessionLog{status START (08 01)}}
  EXPECT_EQ(hex(encode_session_start_event(5, 0.0)), "09000000000000000010053a020801");
}

TEST(TensorBoardEncoding, TfRecordFraming) {
  const std::string event = encode_scalar_event("a", 1.0f, 1, 0.0);
  // length 23, masked crc32c of the length bytes, data, masked crc32c of the
  // data (values from an independent bitwise CRC in Python).
  EXPECT_EQ(hex(frame_tfrecord(event)),
            "1700000000000000"
            "e7cef81e" +
                hex(event) + "759fac86");
  // The empty record: 8 zero bytes (masked crc 0x07980329), masked crc of nothing.
  EXPECT_EQ(hex(frame_tfrecord("")),
            "0000000000000000"
            "29039807"
            "d8ea82a2");
}

TEST(TensorBoardWriter, WritesReadableEventFile) {
  test::TempDir dir;
  const auto before = std::chrono::system_clock::now();
  std::string path;
  {
    TensorBoardWriter writer(dir.file("runs/a"));  // the folder is created
    path = writer.path();
    writer.add_scalar("loss/total", 2.5f, 0);
    writer.add_scalar("loss/total", 1.25f, 10);
    writer.add_scalar("lr", 2e-4f, 10, /*wall_time=*/1234.5);
    writer.flush();
  }
  const auto files = event_files(dir, "runs/a");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0], path);
  const std::string name = std::filesystem::path(path).filename().string();
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count();
  EXPECT_EQ(name.rfind("events.out.tfevents.", 0), 0u) << name;
  EXPECT_EQ(name.substr(name.size() - std::string(host).size()), std::string(host)) << name;
  const int64_t stamp = std::stoll(name.substr(std::string("events.out.tfevents.").size()));
  EXPECT_GE(stamp, seconds);
  EXPECT_LE(stamp, seconds + 5);

  const auto records = test::read_tfrecords(path);
  ASSERT_EQ(records.size(), 4u);
  const auto header = test::decode_event(records[0]);
  EXPECT_EQ(header.file_version, "brain.Event:2");
  EXPECT_NEAR(header.wall_time, static_cast<double>(seconds), 5.0);
  EXPECT_TRUE(header.scalars.empty());

  const auto first = test::decode_event(records[1]);
  EXPECT_EQ(first.step, 0);
  ASSERT_EQ(first.scalars.size(), 1u);
  EXPECT_EQ(first.scalars[0].first, "loss/total");
  EXPECT_EQ(first.scalars[0].second, 2.5f);
  EXPECT_GE(first.wall_time, header.wall_time);

  const auto second = test::decode_event(records[2]);
  EXPECT_EQ(second.step, 10);
  EXPECT_EQ(second.scalars.at(0).second, 1.25f);
  const auto third = test::decode_event(records[3]);
  EXPECT_EQ(third.wall_time, 1234.5);
  EXPECT_EQ(third.scalars.at(0).first, "lr");
  EXPECT_EQ(third.scalars.at(0).second, 2e-4f);
}

TEST(TensorBoardWriter, FlushMakesRecordsVisibleWhileOpen) {
  test::TempDir dir;
  TensorBoardWriter writer(dir.path().string());
  writer.add_scalar("x", 1.0f, 1);
  writer.flush();
  EXPECT_EQ(test::read_tfrecords(writer.path()).size(), 2u);
  writer.add_scalar("x", 2.0f, 2);
  writer.flush();
  EXPECT_EQ(test::read_tfrecords(writer.path()).size(), 3u);
}

TEST(TensorBoardWriter, SecondWriterInTheSameSecondGetsItsOwnFile) {
  test::TempDir dir;
  TensorBoardWriter first(dir.path().string());
  TensorBoardWriter second(dir.path().string());
  EXPECT_NE(first.path(), second.path());
  first.add_scalar("x", 1.0f, 1);
  second.add_scalar("x", 2.0f, 1);
  first.flush();
  second.flush();
  EXPECT_EQ(test::read_tfrecords(first.path()).size(), 2u);
  EXPECT_EQ(test::read_tfrecords(second.path()).size(), 2u);
}

TEST(TensorBoardWriter, UncreatableFolderNamesThePath) {
  test::TempDir dir;
  std::ofstream(dir.file("plain_file")) << "x";
  const std::string folder = dir.file("plain_file/runs");
  try {
    TensorBoardWriter writer(folder);
    FAIL() << "a folder under a file was accepted";
  } catch (const IoError& error) {
    EXPECT_NE(std::string(error.what()).find("'" + folder + "'"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace occ::train_log
