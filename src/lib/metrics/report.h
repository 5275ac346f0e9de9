#pragma once
// Renders the JSON report of metrics::evaluate for people (aligned tables)
// and for spreadsheets (long-format CSV: section,name,value).
#include <string>

#include <nlohmann/json.hpp>

namespace occ::metrics {

std::string report_text(const nlohmann::ordered_json& report);
std::string report_csv(const nlohmann::ordered_json& report);

}  // namespace occ::metrics
