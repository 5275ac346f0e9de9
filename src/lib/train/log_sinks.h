#pragma once
// Where training log rows go besides the model file: a CSV file and
// TensorBoard event files (both optional).
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace occ::train_log {
class CsvLog;
class TensorBoardWriter;
}  // namespace occ::train_log

namespace occ::train {

struct LogSinkPaths {
  std::string csv_path;         // empty: no CSV
  std::string tensorboard_dir;  // empty: no event files
};

class LogSinks {
 public:
  // fresh: an existing CSV file is replaced; resume: rows are appended to it
  // (its header must match) after dropping its rows at or after the first
  // step the resumed run logs (the interrupted run logged them after its last
  // checkpoint; they are logged again). TensorBoard always starts a new event
  // file in the folder; TensorBoard reads the files of a folder one after the
  // other, so a resumed run's file starts with a SessionLog START at its first
  // step, and TensorBoard drops the earlier files' events from that step on.
  enum class Mode { fresh, resume };
  LogSinks(LogSinkPaths paths, Mode mode);
  ~LogSinks();

  // One row of (column, value); the first row fixes the CSV columns. NaN
  // values (e.g. val_miou on steps without validation) are not sent to
  // TensorBoard.
  void write(int64_t step, const std::vector<std::pair<std::string, double>>& row);

 private:
  LogSinkPaths paths_;
  Mode mode_;
  std::unique_ptr<train_log::CsvLog> csv_;
  std::unique_ptr<train_log::TensorBoardWriter> tensorboard_;
  bool tensorboard_started_ = false;  // a row has been sent to tensorboard_
};

}  // namespace occ::train
