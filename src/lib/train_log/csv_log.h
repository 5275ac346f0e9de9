#pragma once
// A CSV training log: one header line of column names, then one row of
// numbers per logged step, flushed per row so that a crash loses at most the
// row being written and the file can be plotted while training runs.
// Numbers are written in the shortest form that reads back to the same double
// (std::to_chars), so float and double values round-trip exactly.
#include <fstream>
#include <string>
#include <vector>

namespace occ::train_log {

class CsvLog {
 public:
  // Opens `path` for logging rows of `columns` (names without commas, quotes
  // or line breaks, not empty, no duplicates: UsageError otherwise).
  // A missing or empty file is created with the header. An existing file is
  // resumed (rows appended) when its header equals `columns`; a different
  // header is a FormatError naming the file. A last row cut short by a crash
  // (no final line break) is dropped before appending. Throws IoError naming
  // the file when it cannot be opened or written.
  CsvLog(const std::string& path, std::vector<std::string> columns);

  CsvLog(const CsvLog&) = delete;
  CsvLog& operator=(const CsvLog&) = delete;

  // Appends one row, one value per column, and flushes it. UsageError when
  // the count differs from the columns; IoError when the write fails.
  void log(const std::vector<double>& values);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::ofstream file_;
};

struct CsvLogTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
};

// Reads a file written by CsvLog. FormatError naming the file (and the line)
// for a row of the wrong length or a cell that is not a number; IoError when
// it cannot be opened.
CsvLogTable read_csv_log(const std::string& path);

// The text CsvLog writes for a value: shortest round-trip form, "nan",
// "inf" or "-inf".
std::string format_csv_number(double value);

}  // namespace occ::train_log
