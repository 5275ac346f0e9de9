#pragma once
// occ export: turn occ's HDF5 files into the files other tools read.
// The input's kind comes from its 'schema' attribute; each format names
// the kind it reads (export_formats()).
#include <cstdint>
#include <string>
#include <vector>

#include "export/openocc.h"

namespace occ::exporting {

struct ExportFormat {
  const char* name;
  const char* input_kind;  // "pred", "model" or "frames"
  const char* output;      // what -o names
  const char* summary;
};

const std::vector<ExportFormat>& export_formats();

struct ExportOptions {
  std::string input;                               // pred or model file
  std::string format;                              // one of export_formats()
  std::string output;                              // file or folder, per format
  std::string frames;                              // --gt: the frames file a pred was made on
  std::string layout = "official";                 // semantickitti: official or flat
  int64_t frame = -1;                              // ply: prediction row for a single .ply (-1: the only one)
  SubmissionInfo submission;                       // openocc header fields
  bool zero_flow = false;                          // openocc: zero flow for a pred without /pred/flow
  std::string nuscenes_version = "v1.0-trainval";  // nuscenes: the tables' folder name

  // Throws UsageError for an unknown format or layout, or missing paths.
  void validate() const;
};

struct ExportSummary {
  std::string kind;   // input kind
  int64_t items = 0;  // frames or tensors written
};

// Runs the export; nothing is left at the output path on error.
ExportSummary run_export(const ExportOptions& options);

}  // namespace occ::exporting
