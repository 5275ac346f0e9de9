#include "export/semantickitti.h"

#include <cctype>
#include <cstring>

#include "core/error.h"
#include "core/progress.h"
#include "core/strings.h"
#include "datasets/frames_file.h"
#include "export/binary_file.h"
#include "export/output_folder.h"
#include "export/pred_source.h"
#include "h5/dataset.h"

namespace occ::exporting {
namespace {

constexpr int64_t kGrid[3] = {256, 256, 32};
constexpr int kLearningClasses = 20;

bool all_digits(const std::string& text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

struct FramePaths {
  std::string label, bin, invalid;
};

FramePaths frame_paths(const std::string& token, const std::string& layout) {
  if (layout == "flat") {
    std::string name = token;
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    return {name + ".label", name + ".bin", name + ".invalid"};
  }
  const size_t slash = token.find('/');
  const std::string sequence = slash == std::string::npos ? "" : token.substr(0, slash);
  const std::string frame = slash == std::string::npos ? "" : token.substr(slash + 1);
  if (!all_digits(sequence) || !all_digits(frame)) {
    throw UsageError(str("token ", occ::quoted(token),
                         " is not '<sequence>/<frame>' (e.g. '08/000105') as the official SemanticKITTI "
                         "layout needs: use --layout flat"));
  }
  const std::string base = str("sequences/", sequence, "/");
  return {base + "predictions/" + frame + ".label", base + "voxels/" + frame + ".bin",
          base + "voxels/" + frame + ".invalid"};
}

}  // namespace

std::vector<uint8_t> pack_bits(const std::vector<uint8_t>& values) {
  std::vector<uint8_t> packed((values.size() + 7) / 8, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i]) packed[i / 8] |= static_cast<uint8_t>(0x80u >> (i % 8));
  }
  return packed;
}

std::vector<uint8_t> unpack_bits(const std::vector<uint8_t>& packed, size_t count) {
  std::vector<uint8_t> values(count, 0);
  for (size_t i = 0; i < count && i / 8 < packed.size(); ++i) {
    values[i] = (packed[i / 8] >> (7 - i % 8)) & 1u;
  }
  return values;
}

const std::vector<uint16_t>& semantickitti_learning_map_inv() {
  // semantic-kitti.yaml, learning_map_inv (semantic-kitti-api/config).
  static const std::vector<uint16_t> map = {0,  10, 11, 15, 18, 20, 30, 31, 32, 40,
                                            44, 48, 49, 50, 51, 70, 71, 72, 80, 81};
  return map;
}

std::vector<uint16_t> read_label_file(const std::string& path, size_t count) {
  const std::string bytes = read_binary_file(path);
  if (bytes.size() != count * 2) {
    throw FormatError(
        str(occ::quoted(path), " has ", bytes.size(), " bytes, expected ", count * 2, " (uint16 per voxel)"));
  }
  std::vector<uint16_t> labels(count);
  for (size_t i = 0; i < count; ++i) {
    labels[i] = static_cast<uint16_t>(static_cast<uint8_t>(bytes[2 * i]) |
                                      (static_cast<uint8_t>(bytes[2 * i + 1]) << 8));
  }
  return labels;
}

std::vector<uint8_t> read_packed_file(const std::string& path, size_t count) {
  const std::string bytes = read_binary_file(path);
  if (bytes.size() != (count + 7) / 8) {
    throw FormatError(str(occ::quoted(path), " has ", bytes.size(), " bytes, expected ", (count + 7) / 8,
                          " (one bit per voxel)"));
  }
  return unpack_bits(std::vector<uint8_t>(bytes.begin(), bytes.end()), count);
}

int64_t export_semantickitti(const PredSource& pred, const std::string& output, const std::string& layout) {
  const std::string format = "semantickitti";
  const auto& grid = pred.grid_shape();
  if (grid[0] != kGrid[0] || grid[1] != kGrid[1] || grid[2] != kGrid[2]) {
    throw FormatError(str("format 'semantickitti' needs the SemanticKITTI grid (256, 256, 32), ",
                          occ::quoted(pred.path()), " has (", grid[0], ", ", grid[1], ", ", grid[2], ")"));
  }
  if (static_cast<int>(pred.class_names().size()) != kLearningClasses || pred.free_class() != 0) {
    throw FormatError(str(
        "format 'semantickitti' needs the 20 SemanticKITTI learning classes with "
        "empty = 0, ",
        occ::quoted(pred.path()), " has ", pred.class_names().size(), " classes, free ", pred.free_class()));
  }
  std::vector<FramePaths> paths;
  for (int64_t i = 0; i < pred.frame_count(); ++i)
    paths.push_back(frame_paths(pred.token(i, format), layout));
  const FramesFile& frames = pred.frames(format);
  const bool has_invalid = frames.has("/occupancy/mask_lidar");
  const auto& map_inv = semantickitti_learning_map_inv();
  OutputFolder folder(output);
  Progress progress("semantickitti", pred.frame_count());
  for (int64_t i = 0; i < pred.frame_count(); ++i) {
    const std::vector<uint8_t> classes = pred.semantics(i);
    std::vector<uint8_t> labels_le(classes.size() * 2);
    std::vector<uint8_t> occupied(classes.size());
    for (size_t v = 0; v < classes.size(); ++v) {
      if (classes[v] >= kLearningClasses) {
        throw FormatError(str("class ", int(classes[v]), " in frame ", i, " of ", occ::quoted(pred.path()),
                              " is not a SemanticKITTI learning class (0-19)"));
      }
      const uint16_t label = map_inv[classes[v]];
      labels_le[2 * v] = static_cast<uint8_t>(label & 0xff);
      labels_le[2 * v + 1] = static_cast<uint8_t>(label >> 8);
      occupied[v] = classes[v] != 0;
    }
    const FramePaths& names = paths[i];
    write_binary_file(folder.file(names.label), folder.display(names.label), labels_le.data(),
                      labels_le.size());
    const std::vector<uint8_t> bin = pack_bits(occupied);
    write_binary_file(folder.file(names.bin), folder.display(names.bin), bin.data(), bin.size());
    if (has_invalid) {
      std::vector<uint8_t> invalid =
          h5::read_rows<uint8_t>(frames.file(), "/occupancy/mask_lidar", pred.frames_row(i), 1).values;
      for (uint8_t& value : invalid) value = value ? 0 : 1;
      const std::vector<uint8_t> packed = pack_bits(invalid);
      write_binary_file(folder.file(names.invalid), folder.display(names.invalid), packed.data(),
                        packed.size());
    }
    progress.advance();
  }
  progress.finish();
  folder.commit();
  return pred.frame_count();
}

}  // namespace occ::exporting
