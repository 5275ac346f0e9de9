#include "export/occ3d_npz.h"

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "export/npy.h"
#include "export/output_folder.h"
#include "export/pred_source.h"
#include "export/zip_writer.h"

namespace occ::exporting {

void write_npz_uint8(const std::string& storage_path, const std::string& display_path,
                     const std::vector<int64_t>& shape, const std::vector<uint8_t>& values) {
  ZipWriter zip(storage_path, display_path);
  zip.add("arr_0.npy", npy_bytes("|u1", shape, values.data(), values.size()), ZipWriter::Method::deflate);
  zip.close();
}

int64_t export_occ3d_npz(const PredSource& pred, const std::string& output) {
  const std::string format = "occ3d-npz";
  // Tokens first: a pred without its frames file fails before any output.
  std::vector<std::string> names;
  for (int64_t i = 0; i < pred.frame_count(); ++i) {
    const std::string& token = pred.token(i, format);
    if (token.empty() || token.find('/') != std::string::npos) {
      throw FormatError(
          str("sample token ", occ::quoted(token), " of frame ", pred.frames_row(i), " cannot name a file"));
    }
    names.push_back(token + ".npz");
  }
  OutputFolder folder(output);
  const auto& grid = pred.grid_shape();
  const std::vector<int64_t> shape{grid[0], grid[1], grid[2]};
  Progress progress("occ3d-npz", pred.frame_count());
  for (int64_t i = 0; i < pred.frame_count(); ++i) {
    write_npz_uint8(folder.file(names[i]), folder.display(names[i]), shape, pred.semantics(i));
    progress.advance();
  }
  progress.finish();
  folder.commit();
  return pred.frame_count();
}

}  // namespace occ::exporting
