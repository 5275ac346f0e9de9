#include "train_log/tensorboard_writer.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "core/error.h"
#include "train_log/crc32c.h"

namespace occ::train_log {
namespace {

// Protobuf wire format (https://protobuf.dev/programming-guides/encoding/):
// each field is a varint key (field number << 3 | wire type) and a payload.
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void put_key(std::string& out, uint32_t field, WireType type) {
  put_varint(out, (uint64_t{field} << 3) | type);
}

template <typename Unsigned>
void put_little_endian(std::string& out, Unsigned value) {
  for (size_t i = 0; i < sizeof(Unsigned); ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void put_double(std::string& out, uint32_t field, double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kFixed64);
  put_little_endian(out, bits);
}

void put_float(std::string& out, uint32_t field, float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, field, kFixed32);
  put_little_endian(out, bits);
}

// int64 fields are plain varints of the two's complement (10 bytes when < 0).
void put_int64(std::string& out, uint32_t field, int64_t value) {
  put_key(out, field, kVarint);
  put_varint(out, static_cast<uint64_t>(value));
}

void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

// tensorflow.Event field numbers.
constexpr uint32_t kEventWallTime = 1, kEventStep = 2, kEventFileVersion = 3, kEventSummary = 5,
                   kEventSessionLog = 7;
// tensorflow.SessionLog: SessionStatus status = 1 (enum; START = 1).
constexpr uint32_t kSessionLogStatus = 1;
constexpr uint64_t kSessionStart = 1;
// tensorflow.Summary: repeated Value value = 1; Value: tag = 1, simple_value = 2.
constexpr uint32_t kSummaryValue = 1, kValueTag = 1, kValueSimpleValue = 2;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  return name.data();
}

}  // namespace

std::string encode_scalar_event(const std::string& tag, float value, int64_t step, double wall_time) {
  std::string summary_value;
  put_bytes(summary_value, kValueTag, tag);
  put_float(summary_value, kValueSimpleValue, value);
  std::string summary;
  put_bytes(summary, kSummaryValue, summary_value);
  std::string event;
  put_double(event, kEventWallTime, wall_time);
  put_int64(event, kEventStep, step);
  put_bytes(event, kEventSummary, summary);
  return event;
}

std::string encode_session_start_event(int64_t step, double wall_time) {
  std::string session_log;
  put_key(session_log, kSessionLogStatus, kVarint);
  put_varint(session_log, kSessionStart);
  std::string event;
  put_double(event, kEventWallTime, wall_time);
  put_int64(event, kEventStep, step);
  put_bytes(event, kEventSessionLog, session_log);
  return event;
}

std::string encode_file_version_event(double wall_time) {
  std::string event;
  put_double(event, kEventWallTime, wall_time);
  put_bytes(event, kEventFileVersion, "brain.Event:2");
  return event;
}

std::string frame_tfrecord(const std::string& data) {
  std::string length;
  put_little_endian(length, static_cast<uint64_t>(data.size()));
  std::string record = length;
  put_little_endian(record, masked_crc32c(crc32c(length)));
  record += data;
  put_little_endian(record, masked_crc32c(crc32c(data)));
  return record;
}

TensorBoardWriter::TensorBoardWriter(const std::string& folder) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) throw IoError("cannot create tensorboard folder " + quoted(folder) + ": " + error.message());
  const double wall_time = now_seconds();
  const std::string stem =
      (std::filesystem::path(folder) /
       ("events.out.tfevents." + std::to_string(static_cast<int64_t>(wall_time)) + "." + host_name()))
          .string();
  path_ = stem;
  // Never append to another writer's file: a record stream has one header.
  for (int suffix = 1; std::filesystem::exists(path_, error); ++suffix)
    path_ = stem + "." + std::to_string(suffix);
  file_.open(path_, std::ios::binary | std::ios::trunc);
  if (!file_)
    throw IoError("cannot create tensorboard event file " + quoted(path_) + ": " + std::strerror(errno));
  write_record(encode_file_version_event(wall_time));
  flush();
}

TensorBoardWriter::~TensorBoardWriter() {
  if (file_.is_open()) file_.flush();
}

void TensorBoardWriter::add_scalar(const std::string& tag, float value, int64_t step) {
  add_scalar(tag, value, step, now_seconds());
}

void TensorBoardWriter::add_scalar(const std::string& tag, float value, int64_t step, double wall_time) {
  write_record(encode_scalar_event(tag, value, step, wall_time));
}

void TensorBoardWriter::add_session_start(int64_t step) {
  write_record(encode_session_start_event(step, now_seconds()));
}

void TensorBoardWriter::write_record(const std::string& data) {
  const std::string record = frame_tfrecord(data);
  file_.write(record.data(), static_cast<std::streamsize>(record.size()));
  if (!file_) throw IoError("cannot write tensorboard event file " + quoted(path_));
}

void TensorBoardWriter::flush() {
  file_.flush();
  if (!file_) throw IoError("cannot write tensorboard event file " + quoted(path_));
}

}  // namespace occ::train_log
