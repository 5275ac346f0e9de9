#include "export/ply.h"

#include <cstring>

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "export/binary_file.h"
#include "export/output_folder.h"
#include "h5/atomic_file.h"

namespace occ::exporting {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void append_float(std::string& out, float value) {
  char bytes[4];
  std::memcpy(bytes, &value, 4);  // x86/ARM little endian, as the header says
  out.append(bytes, 4);
}

}  // namespace

std::string ply_bytes(const geom::VoxelGrid& geometry, const std::vector<uint8_t>& classes, int free_class,
                      const std::vector<Rgb>& palette, const std::string& comment) {
  const int64_t nx = geometry.shape[0], ny = geometry.shape[1], nz = geometry.shape[2];
  std::string body;
  int64_t vertices = 0;
  for (int64_t x = 0; x < nx; ++x) {
    for (int64_t y = 0; y < ny; ++y) {
      for (int64_t z = 0; z < nz; ++z) {
        const uint8_t label = classes[static_cast<size_t>((x * ny + y) * nz + z)];
        if (label == free_class) continue;
        const int64_t index[3] = {x, y, z};
        for (int axis = 0; axis < 3; ++axis) {
          append_float(body,
                       static_cast<float>(geometry.origin_m[axis] + (static_cast<double>(index[axis]) + 0.5) *
                                                                        geometry.voxel_size_m[axis]));
        }
        const Rgb colour = label < palette.size() ? palette[label] : Rgb{128, 128, 128};
        body.append(reinterpret_cast<const char*>(colour.data()), 3);
        body += static_cast<char>(label);
        ++vertices;
      }
    }
  }
  std::string header = "ply\nformat binary_little_endian 1.0\n";
  if (!comment.empty()) header += "comment " + comment + "\n";
  header += str("element vertex ", vertices, "\n");
  header +=
      "property float x\nproperty float y\nproperty float z\n"
      "property uchar red\nproperty uchar green\nproperty uchar blue\nproperty uchar label\nend_header\n";
  return header + body;
}

int64_t export_ply(const PredSource& pred, const std::string& output, int64_t frame) {
  const std::string format = "ply";
  const geom::VoxelGrid geometry = pred.geometry(format);
  const std::vector<Rgb> palette = viz::class_colours(pred.class_names());
  auto comment = [&](int64_t i) {
    return str("occ export: occupied voxel centres (m, ego frame) of sample ", pred.token(i, format));
  };
  if (ends_with(output, ".ply")) {
    if (frame < 0 && pred.frame_count() != 1) {
      throw UsageError(str(occ::quoted(pred.path()), " holds ", pred.frame_count(),
                           " frames: choose one with --frame, or give a folder as -o"));
    }
    const int64_t i = frame < 0 ? 0 : frame;
    if (i >= pred.frame_count()) {
      throw UsageError(str("--frame ", i, " is out of range: ", occ::quoted(pred.path()), " holds ",
                           pred.frame_count(), " frames"));
    }
    h5::AtomicPath atomic(output);
    const std::string bytes = ply_bytes(geometry, pred.semantics(i), pred.free_class(), palette, comment(i));
    write_binary_file(atomic.temp_path(), output, bytes.data(), bytes.size());
    atomic.commit();
    return 1;
  }
  if (frame >= 0) throw UsageError("--frame selects the frame of a single .ply file: give -o NAME.ply");
  std::vector<std::string> names;
  for (int64_t i = 0; i < pred.frame_count(); ++i) {
    std::string name = pred.token(i, format);
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    names.push_back(name + ".ply");
  }
  OutputFolder folder(output);
  Progress progress("ply", pred.frame_count());
  for (int64_t i = 0; i < pred.frame_count(); ++i) {
    const std::string bytes = ply_bytes(geometry, pred.semantics(i), pred.free_class(), palette, comment(i));
    write_binary_file(folder.file(names[i]), folder.display(names[i]), bytes.data(), bytes.size());
    progress.advance();
  }
  progress.finish();
  folder.commit();
  return pred.frame_count();
}

}  // namespace occ::exporting
