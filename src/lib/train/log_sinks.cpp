#include "train/log_sinks.h"

#include <cmath>
#include <filesystem>

#include "train_log/csv_log.h"
#include "train_log/tensorboard_writer.h"

namespace occ::train {

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
      }
      csv_ = std::make_unique<train_log::CsvLog>(paths_.csv_path, columns);
    }
    csv_->log(values);
  }
  if (tensorboard_) {
    for (const auto& [column, value] : row) {
      if (column == "step" || std::isnan(value)) continue;
      const std::string tag = column == "val_miou" ? "val/miou" : "train/" + column;
      tensorboard_->add_scalar(tag, static_cast<float>(value), step);
    }
    tensorboard_->flush();
  }
}

}  // namespace occ::train
