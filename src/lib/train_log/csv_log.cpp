#include "train_log/csv_log.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <system_error>

#include "core/error.h"
#include "core/strings.h"

namespace occ::train_log {
namespace {

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream stream(line);
  while (std::getline(stream, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

void check_columns(const std::string& path, const std::vector<std::string>& columns) {
  if (columns.empty()) throw UsageError("csv log " + quoted(path) + " needs at least one column");
  std::set<std::string> seen;
  for (const auto& name : columns) {
    if (name.empty() || name.find_first_of(",\"\r\n") != std::string::npos)
      throw UsageError("csv log column name " + quoted(name) +
                       " is empty or holds a comma, quote or line break");
    if (!seen.insert(name).second) throw UsageError("csv log column " + quoted(name) + " appears twice");
  }
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open csv log " + quoted(path) + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string format_csv_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

CsvLog::CsvLog(const std::string& path, std::vector<std::string> columns)
    : path_(path), columns_(std::move(columns)) {
  check_columns(path_, columns_);
  const std::string header = join(columns_, ",");
  std::error_code error;
  bool header_needs_break = false;
  // Empty also for a folder (reading fails), which then fails to open below.
  const std::string text = std::filesystem::exists(path_, error) ? read_whole_file(path_) : "";
  const bool resume = !text.empty();
  if (resume) {
    const std::string found = text.substr(0, text.find('\n'));
    if (found != header)
      throw FormatError("cannot resume csv log " + quoted(path_) + ": its header '" + found +
                        "' differs from the columns '" + header + "'");
    // A partial last row (crash mid-write) would glue onto the next one.
    const size_t last_break = text.rfind('\n');
    if (text.back() != '\n' && last_break != std::string::npos) {
      std::filesystem::resize_file(path_, last_break + 1, error);
      if (error)
        throw IoError("cannot drop the partial last row of csv log " + quoted(path_) + ": " +
                      error.message());
    }
    header_needs_break = last_break == std::string::npos;  // the header alone, cut before its '\n'
  }
  file_.open(path_, std::ios::binary | std::ios::app);
  if (!file_) throw IoError("cannot open csv log " + quoted(path_) + ": " + std::strerror(errno));
  if (!resume || header_needs_break) {
    if (!resume) file_ << header;
    file_ << '\n';
    file_.flush();
    if (!file_) throw IoError("cannot write csv log " + quoted(path_));
  }
}

void CsvLog::log(const std::vector<double>& values) {
  if (values.size() != columns_.size())
    throw UsageError("csv log " + quoted(path_) + " has " + std::to_string(columns_.size()) +
                     " columns, got " + std::to_string(values.size()) + " values");
  std::string row;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) row += ',';
    row += format_csv_number(values[i]);
  }
  row += '\n';
  file_.write(row.data(), static_cast<std::streamsize>(row.size()));
  file_.flush();
  if (!file_) throw IoError("cannot write csv log " + quoted(path_));
}

CsvLogTable read_csv_log(const std::string& path) {
  std::istringstream lines(read_whole_file(path));
  CsvLogTable table;
  std::string line;
  if (!std::getline(lines, line)) throw FormatError("csv log " + quoted(path) + " has no header");
  table.columns = split_commas(line);
  for (size_t line_number = 2; std::getline(lines, line); ++line_number) {
    const auto cells = split_commas(line);
    if (cells.size() != table.columns.size())
      throw FormatError(str("csv log ", quoted(path), " line ", line_number, " has ", cells.size(),
                            " cells, expected ", table.columns.size()));
    std::vector<double> row;
    for (const auto& cell : cells) {
      // from_chars ignores the locale (strtod under de_DE stops at the point).
      double value = 0.0;
      const auto parsed = std::from_chars(cell.data(), cell.data() + cell.size(), value);
      if (cell.empty() || parsed.ec != std::errc() || parsed.ptr != cell.data() + cell.size())
        throw FormatError(
            str("csv log ", quoted(path), " line ", line_number, ": ", quoted(cell), " is not a number"));
      row.push_back(value);
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace occ::train_log
