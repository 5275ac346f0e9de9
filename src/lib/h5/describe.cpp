#include "h5/describe.h"

#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/strings.h"
#include "h5/model_layout.h"
#include "h5/schema_registry.h"

namespace occ::h5 {
namespace {

nlohmann::ordered_json attribute_json(const AttributeValue& value) {
  return std::visit([](const auto& typed) { return nlohmann::ordered_json(typed); }, value);
}

std::string human_bytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  std::ostringstream out;
  out << std::setprecision(unit == 0 ? 0 : 1) << std::fixed << value << " " << units[unit];
  return out.str();
}

int64_t raw_bytes(const DatasetInfo& info) {
  return element_count(info.shape) * static_cast<int64_t>(dtype_size(info.dtype));
}

}  // namespace

FileReport describe_file(const File& file, bool validate_file) {
  FileReport report;
  report.path = file.path();
  report.attributes = list_attributes(file, "/");
  for (const auto& [name, value] : report.attributes) {
    if (name == "schema" && std::holds_alternative<std::string>(value))
      report.schema = std::get<std::string>(value);
    if (name == "schema_version" && std::holds_alternative<int64_t>(value)) {
      report.schema_version = std::get<int64_t>(value);
    }
  }
  for (const auto& path : file.dataset_paths()) report.datasets.push_back(dataset_info(file, path));
  if (validate_file) {
    report.validated = true;
    if (report.schema.empty()) {
      report.problems.push_back("root attribute 'schema' is missing: not an occ artifact");
    } else if (const Schema* schema = find_schema_by_name(report.schema)) {
      report.problems = validate(file, *schema);
      // Every checksum is verified, then values are checked once dtypes,
      // shapes and stored bytes are known to be right.
      if (report.problems.empty()) report.problems = verify_stored_data(file);
      if (report.problems.empty()) report.problems = check_values(file, *schema, true);
      if (report.problems.empty() && schema->kind == "model") report.problems = check_model_layout(file);
    } else {
      report.problems.push_back(str("unknown schema ", quoted(report.schema)));
    }
  }
  return report;
}

std::string report_text(const FileReport& report) {
  std::ostringstream out;
  out << "file     " << report.path << "\n";
  if (report.schema.empty()) {
    out << "kind     (not an occ artifact)\n";
  } else {
    out << "kind     " << report.schema << " v" << report.schema_version << "\n";
  }
  out << "\nattributes\n";
  for (const auto& [name, value] : report.attributes) {
    if (name == "schema" || name == "schema_version") continue;
    out << "  " << std::left << std::setw(16) << name << " " << attribute_text(value) << "\n";
  }
  out << "\ndatasets\n";
  size_t width = 0;
  for (const auto& info : report.datasets) width = std::max(width, info.path.size());
  for (const auto& info : report.datasets) {
    out << "  " << std::left << std::setw(static_cast<int>(width)) << info.path << "  " << std::setw(8)
        << info.dtype_text << " " << shape_text(info.shape);
    if (!info.chunk.empty()) out << "  chunks " << shape_text(info.chunk);
    if (!info.filters.empty()) out << "  " << join(info.filters, "+");
    out << "  " << human_bytes(info.storage_bytes);
    const int64_t raw = raw_bytes(info);
    if (raw > 0 && info.storage_bytes > 0 && !info.filters.empty()) {
      out << " (" << std::setprecision(1) << std::fixed
          << static_cast<double>(raw) / static_cast<double>(info.storage_bytes) << "x)";
    }
    out << "\n";
  }
  if (report.validated) {
    out << "\nvalidation\n";
    if (report.problems.empty()) out << "  ok\n";
    for (const auto& problem : report.problems) out << "  error: " << problem << "\n";
  }
  return out.str();
}

std::string report_json(const FileReport& report) {
  nlohmann::ordered_json document;
  document["file"] = report.path;
  document["schema"] =
      report.schema.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(report.schema);
  document["schema_version"] =
      report.schema_version < 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(report.schema_version);
  nlohmann::ordered_json attributes = nlohmann::ordered_json::object();
  for (const auto& [name, value] : report.attributes) attributes[name] = attribute_json(value);
  document["attributes"] = attributes;
  nlohmann::ordered_json datasets = nlohmann::ordered_json::array();
  for (const auto& info : report.datasets) {
    datasets.push_back(
        {{"path", info.path},
         {"dtype", info.dtype_text},
         {"shape", info.shape},
         {"chunks", info.chunk.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(info.chunk)},
         {"filters", info.filters},
         {"storage_bytes", info.storage_bytes}});
  }
  document["datasets"] = datasets;
  if (report.validated) {
    document["valid"] = report.problems.empty();
    document["problems"] = report.problems;
  }
  return document.dump(2) + "\n";
}

}  // namespace occ::h5
