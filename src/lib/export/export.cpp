#include "export/export.h"

#include <map>

#include "core/error.h"
#include "core/strings.h"
#include "export/kitti_sceneflow.h"
#include "export/model_weights.h"
#include "export/nuscenes.h"
#include "export/occ3d_npz.h"
#include "export/ply.h"
#include "export/pred_source.h"
#include "export/safetensors.h"
#include "export/semantickitti.h"
#include "export/torch_archive.h"
#include "h5/attributes.h"
#include "h5/file.h"

namespace occ::exporting {
namespace {

const ExportFormat* find_format(const std::string& name) {
  for (const auto& format : export_formats()) {
    if (name == format.name) return &format;
  }
  return nullptr;
}

std::vector<std::string> format_names() {
  std::vector<std::string> names;
  for (const auto& format : export_formats()) names.push_back(format.name);
  return names;
}

std::string input_kind(const std::string& path) {
  const h5::File file = h5::File::open(path);
  if (!h5::has_attribute(file, "/", "schema")) {
    throw FormatError(str(occ::quoted(path), " is not an occ file (no 'schema' attribute)"));
  }
  const std::string schema = h5::read_string_attribute(file, "/", "schema");
  const std::string prefix = "occ.";
  return schema.compare(0, prefix.size(), prefix) == 0 ? schema.substr(prefix.size()) : schema;
}

std::map<std::string, std::string> model_metadata(const std::string& path) {
  const h5::File file = h5::File::open(path);
  std::map<std::string, std::string> metadata;
  // "pt": the tensors follow PyTorch's layout (huggingface convention).
  metadata["format"] = "pt";
  metadata["occ_model"] = h5::read_string_attribute(file, "/", "model");
  metadata["occ_step"] = std::to_string(h5::read_int_attribute(file, "/", "step"));
  metadata["occ_uuid"] = h5::read_string_attribute(file, "/", "uuid");
  metadata["occ_config"] = h5::read_string_attribute(file, "/", "config");
  return metadata;
}

}  // namespace

void ExportOptions::validate() const {
  if (input.empty()) throw UsageError("no input file given");
  if (output.empty()) throw UsageError("no output given: -o PATH");
  if (!find_format(format)) {
    throw UsageError(
        str("unknown format ", occ::quoted(format), " (formats: ", join(format_names(), ", "), ")"));
  }
  if (layout != "official" && layout != "flat") {
    throw UsageError(str("unknown layout ", occ::quoted(layout), " (layouts: official, flat)"));
  }
  if (frame < -1) throw UsageError(str("--frame ", frame, " is negative"));
  if (nuscenes_version.empty()) throw UsageError("--nuscenes-version is empty");
}

ExportSummary run_export(const ExportOptions& options) {
  options.validate();
  const ExportFormat& format = *find_format(options.format);
  ExportSummary summary;
  summary.kind = input_kind(options.input);
  if (summary.kind != format.input_kind) {
    throw UsageError(str("format ", occ::quoted(format.name), " exports ", format.input_kind, " files, ",
                         occ::quoted(options.input), " is a ", summary.kind, " file"));
  }
  if (summary.kind == "frames") {
    summary.items = export_nuscenes(options.input, options.output, options.nuscenes_version);
    return summary;
  }
  if (summary.kind == "model") {
    const std::vector<NamedTensor> tensors = read_model_weights(options.input);
    if (options.format == "torch") {
      write_torch_archive(tensors, options.output);
    } else {
      write_safetensors(tensors, model_metadata(options.input), options.output);
    }
    summary.items = static_cast<int64_t>(tensors.size());
    return summary;
  }
  const PredSource pred(options.input, options.frames);
  if (options.format == "occ3d-npz") {
    summary.items = export_occ3d_npz(pred, options.output);
  } else if (options.format == "semantickitti") {
    summary.items = export_semantickitti(pred, options.output, options.layout);
  } else if (options.format == "kitti-sceneflow") {
    summary.items = export_kitti_sceneflow(pred, options.output).written;
  } else if (options.format == "ply") {
    summary.items = export_ply(pred, options.output, options.frame);
  } else {
    summary.items = export_openocc(pred, options.output, options.submission, options.zero_flow);
  }
  return summary;
}

}  // namespace occ::exporting
