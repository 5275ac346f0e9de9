#include "metrics/report.h"

#include <iomanip>
#include <sstream>

namespace occ::metrics {
namespace {

using json = nlohmann::ordered_json;

std::string value_text(const json& value, int precision = 2) {
  if (value.is_null()) return "nan";
  if (value.is_number_float()) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(precision) << value.get<double>();
    return out.str();
  }
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

void row(std::ostringstream& out, const std::string& name, const std::vector<std::string>& cells) {
  out << "  " << std::left << std::setw(24) << name;
  for (const auto& cell : cells) out << std::right << std::setw(10) << cell;
  out << "\n";
}

void csv_section(std::ostringstream& out, const std::string& name, const json& section) {
  for (const auto& [key, value] : section.items()) {
    if (value.is_object()) {
      for (const auto& [inner, cell] : value.items()) {
        if (cell.is_array()) {
          const char* suffixes[] = {"@1", "@2", "@4"};
          for (size_t i = 0; i < cell.size() && i < 3; ++i) {
            out << name << "," << key << suffixes[i] << "/" << inner << "," << value_text(cell[i], 6) << "\n";
          }
        } else if (!cell.is_object()) {
          out << name << "," << key << "/" << inner << "," << value_text(cell, 6) << "\n";
        }
      }
    } else {
      out << name << "," << key << "," << value_text(value, 6) << "\n";
    }
  }
}

}  // namespace

std::string report_text(const json& report) {
  std::ostringstream out;
  out << "occ eval: " << report["pred"].get<std::string>() << " against " << report["gt"].get<std::string>()
      << ", " << report["frames"].get<int64_t>() << " frames";
  if (report["missing"].get<int64_t>() > 0)
    out << " (" << report["missing"].get<int64_t>() << " missing, skipped)";
  out << "\n";
  if (report.contains("miou")) {
    out << "\nOcc3D mIoU (%)"
        << (report["miou"]["camera_mask"].get<bool>() ? ", camera mask" : ", all voxels") << "\n";
    for (const auto& [name, value] : report["miou"]["class_iou"].items()) row(out, name, {value_text(value)});
    row(out, "mIoU", {value_text(report["miou"]["miou"])});
  }
  if (report.contains("ssc")) {
    out << "\nSemanticKITTI scene completion (%)\n";
    for (const auto& [name, value] : report["ssc"]["class_iou"].items()) row(out, name, {value_text(value)});
    for (const char* key : {"miou", "completion_iou", "precision", "recall"}) {
      row(out, key, {value_text(report["ssc"][key])});
    }
  }
  if (report.contains("rayiou")) {
    const json& rays = report["rayiou"];
    out << "\nRayIoU (%)" << (rays["geometry_only"].get<bool>() ? ", geometry only" : "") << "\n";
    row(out, "class", {"@1m", "@2m", "@4m"});
    for (const auto& [name, cells] : rays["class_iou"].items()) {
      row(out, name, {value_text(cells[0]), value_text(cells[1]), value_text(cells[2])});
    }
    row(out, "MEAN",
        {value_text(rays["rayiou@1"]), value_text(rays["rayiou@2"]), value_text(rays["rayiou@4"])});
    row(out, "RayIoU", {value_text(rays["rayiou"])});
    row(out, "rays scored", {value_text(rays["rays_scored"])});
  }
  if (report.contains("mave")) {
    out << "\nmAVE (m/s, TP rays at 2 m)\n";
    for (const auto& [name, value] : report["mave"]["class_ave"].items())
      row(out, name, {value_text(value, 3)});
    row(out, "mAVE", {value_text(report["mave"]["mave"], 3)});
    row(out, "OccScore (%)", {value_text(report["mave"]["occ_score"])});
  }
  if (report.contains("sceneflow")) {
    const json& flow = report["sceneflow"];
    out << "\nKITTI scene flow outliers (%)\n";
    row(out, "rule / map", {"all", "bg", "fg"});
    for (const auto& [rule, maps] : flow.items()) {
      if (!maps.is_object()) continue;
      for (const auto& [map, cells] : maps.items()) {
        row(out, rule + " " + map,
            {value_text(cells["all"]), value_text(cells["bg"]), value_text(cells["fg"])});
      }
    }
    for (const char* key : {"DE", "EPE", "DE_FG", "EPE_FG"}) row(out, key, {value_text(flow[key], 3)});
  }
  if (report.contains("depth")) {
    const json& depth = report["depth"];
    out << "\nDepth (" << depth["images"].get<int64_t>() << " images";
    if (depth["skipped_images"].get<int64_t>() > 0)
      out << ", " << depth["skipped_images"] << " without valid GT";
    out << ")\n";
    row(out, "", {"raw", "median"});
    for (const auto& [key, value] : depth["raw"].items()) {
      row(out, key, {value_text(value, 4), value_text(depth["median_scaled"][key], 4)});
    }
  }
  return out.str();
}

std::string report_csv(const json& report) {
  std::ostringstream out;
  out << "section,name,value\n";
  for (const char* section : {"miou", "ssc", "rayiou", "mave"}) {
    if (report.contains(section)) csv_section(out, section, report[section]);
  }
  if (report.contains("sceneflow")) {
    for (const auto& [rule, maps] : report["sceneflow"].items()) {
      if (!maps.is_object()) {
        out << "sceneflow," << rule << "," << value_text(maps, 6) << "\n";
        continue;
      }
      for (const auto& [map, cells] : maps.items()) {
        for (const auto& [region, cell] : cells.items()) {
          out << "sceneflow," << rule << "/" << map << "/" << region << "," << value_text(cell, 6) << "\n";
        }
      }
    }
  }
  if (report.contains("depth")) {
    for (const char* variant : {"raw", "median_scaled"}) {
      for (const auto& [key, value] : report["depth"][variant].items()) {
        out << "depth," << variant << "/" << key << "," << value_text(value, 6) << "\n";
      }
    }
  }
  return out.str();
}

}  // namespace occ::metrics
