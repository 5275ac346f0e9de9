#pragma once
// Writes TensorBoard event files without TensorFlow or protobuf: scalars
// logged during training show up in `tensorboard --logdir <folder>`.
//
// File layout (tensorflow/core/util/events_writer.cc, record_writer.cc): a
// TFRecord file named events.out.tfevents.<unix time>.<hostname>; each record
// is the little-endian uint64 length, the masked CRC-32C of those 8 bytes, the
// data, and the masked CRC-32C of the data. Each record's data is a
// tensorflow.Event protobuf (tensorflow/core/util/event.proto), the first one
// carrying file_version "brain.Event:2", the others one scalar summary each
// or a SessionLog START (a resumed run).
#include <cstdint>
#include <fstream>
#include <string>

namespace occ::train_log {

class TensorBoardWriter {
 public:
  // Creates `folder` (and its parents) when missing and opens a new event
  // file in it. A file of the same name (a second writer in the same second)
  // gets a numbered suffix, which TensorBoard still reads. Throws IoError
  // naming the folder or file when it cannot be created.
  explicit TensorBoardWriter(const std::string& folder);
  // Flushes; errors at this point are swallowed (call flush() to see them).
  ~TensorBoardWriter();

  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // One scalar point of the curve `tag` (e.g. "loss/ce") at `step`, stamped
  // with the current wall time. Buffered: call flush() to make it visible.
  void add_scalar(const std::string& tag, float value, int64_t step);
  // As add_scalar with an explicit wall time in seconds since the epoch.
  void add_scalar(const std::string& tag, float value, int64_t step, double wall_time);

  // Marks a restart at `step` (a run resumed from a checkpoint): TensorBoard
  // (EventAccumulator, purge_orphaned_data, on by default) then drops the
  // events of every earlier file at steps >= `step`, which the interrupted
  // run logged after its checkpoint and this run logs again.
  void add_session_start(int64_t step);

  // Pushes buffered records to the file. Throws IoError naming the file.
  void flush();

  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& data);

  std::string path_;
  std::ofstream file_;
};

// The tensorflow.Event bytes of one scalar, as written by add_scalar
// (exposed for tests and for writers that batch their own records).
std::string encode_scalar_event(const std::string& tag, float value, int64_t step, double wall_time);
// An Event holding SessionLog{status: START} at `step`.
std::string encode_session_start_event(int64_t step, double wall_time);
// The first Event of a file: wall time and file_version "brain.Event:2".
std::string encode_file_version_event(double wall_time);
// One TFRecord: length, masked CRC of the length, data, masked CRC of the data.
std::string frame_tfrecord(const std::string& data);

}  // namespace occ::train_log
