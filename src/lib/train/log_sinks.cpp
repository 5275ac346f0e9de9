#include "train/log_sinks.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "train_log/csv_log.h"
#include "train_log/tensorboard_writer.h"

namespace occ::train {
namespace {

// A run resumed from its last checkpoint logs again the steps that came after
// that checkpoint (the interrupted run logged them before it stopped): drop
// those rows (first column: step) so that each step appears once.
void drop_rows_from_step(const std::string& path, int64_t step) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  std::stringstream whole;
  whole << in.rdbuf();
  in.close();
  std::string text = whole.str();
  // A partial last row (a crash mid-write) is no row: CsvLog drops it too.
  text.erase(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
  std::stringstream lines(text);
  std::string kept, line;
  if (!std::getline(lines, line)) return;
  kept = line + "\n";
  bool dropped = false;
  while (std::getline(lines, line)) {
    if (std::strtod(line.c_str(), nullptr) < static_cast<double>(step)) {
      kept += line + "\n";
    } else {
      dropped = true;
    }
  }
  if (!dropped) return;
  const std::string temporary = path + ".resume";
  std::ofstream(temporary, std::ios::binary | std::ios::trunc) << kept;
  std::filesystem::rename(temporary, path);
}

}  // namespace

LogSinks::LogSinks(LogSinkPaths paths, Mode mode) : paths_(std::move(paths)), mode_(mode) {
  if (!paths_.tensorboard_dir.empty()) {
    tensorboard_ = std::make_unique<train_log::TensorBoardWriter>(paths_.tensorboard_dir);
  }
}

LogSinks::~LogSinks() = default;

void LogSinks::write(int64_t step, const std::vector<std::pair<std::string, double>>& row) {
  if (!paths_.csv_path.empty()) {
    std::vector<std::string> columns;
    std::vector<double> values;
    for (const auto& [column, value] : row) {
      columns.push_back(column);
      values.push_back(value);
    }
    if (!csv_) {
      if (mode_ == Mode::fresh) {
        std::error_code ignored;
        std::filesystem::remove(paths_.csv_path, ignored);
      } else {
        drop_rows_from_step(paths_.csv_path, step);
      }
      csv_ = std::make_unique<train_log::CsvLog>(paths_.csv_path, columns);
    }
    csv_->log(values);
  }
  if (tensorboard_) {
    // The first row of a resumed run: TensorBoard drops what the interrupted
    // run logged from this step on, as the CSV drops those rows.
    if (mode_ == Mode::resume && !tensorboard_started_) tensorboard_->add_session_start(step);
    tensorboard_started_ = true;
    for (const auto& [column, value] : row) {
      if (column == "step" || std::isnan(value)) continue;
      const std::string tag = column == "val_miou" ? "val/miou" : "train/" + column;
      tensorboard_->add_scalar(tag, static_cast<float>(value), step);
    }
    tensorboard_->flush();
  }
}

}  // namespace occ::train
