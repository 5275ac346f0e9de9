#include "datasets/openocc_labels.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/npy.h"
#include "datasets/occ3d_classes.h"
#include "datasets/occ3d_labels.h"
#include "h5/dataset.h"

namespace occ::datasets {
namespace {

constexpr uint8_t kIgnored = 255;

void require_file(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw IoError(str("cannot open OpenOcc labels ", occ::quoted(path), ": no such file"));
  }
}

std::vector<float> read_flow(const npy::NpzReader& npz, const std::array<int64_t, 3>& grid_shape) {
  const std::string where = str(occ::quoted(npz.path()), " entry 'flow'");
  if (!npz.contains("flow")) throw FormatError(str(occ::quoted(npz.path()), " has no entry 'flow'"));
  const npy::Array array = npz.read("flow");
  const std::vector<int64_t> expected = {grid_shape[0], grid_shape[1], grid_shape[2], 2};
  if (array.shape != expected) {
    throw FormatError(str(where, " has shape ", h5::shape_text(array.shape), " where OpenOcc flow is ",
                          h5::shape_text(expected)));
  }
  // float16 widens exactly; float64 would lose digits silently.
  if (!(array.kind == 'f' && array.item_size <= 4)) {
    throw FormatError(str(where, " has dtype ", occ::quoted(array.descr), " where OpenOcc flow is float32"));
  }
  return array.as_float(where);
}

}  // namespace

const std::vector<std::string>& openocc_class_names() {
  static const std::vector<std::string> names = {"car",
                                                 "truck",
                                                 "trailer",
                                                 "bus",
                                                 "construction_vehicle",
                                                 "bicycle",
                                                 "motorcycle",
                                                 "pedestrian",
                                                 "traffic_cone",
                                                 "barrier",
                                                 "driveable_surface",
                                                 "other_flat",
                                                 "sidewalk",
                                                 "terrain",
                                                 "manmade",
                                                 "vegetation",
                                                 "free"};
  return names;
}

uint8_t occ3d_class_of_openocc(uint8_t openocc_id) {
  static const std::vector<uint8_t> table = [] {
    std::vector<uint8_t> ids;
    const auto& occ3d = occ3d_class_names();
    for (const auto& name : openocc_class_names())
      ids.push_back(uint8_t(std::find(occ3d.begin(), occ3d.end(), name) - occ3d.begin()));
    return ids;
  }();
  return openocc_id < table.size() ? table[openocc_id] : kIgnored;
}

OpenOccEntries openocc_entries(const std::string& path) {
  require_file(path);
  const npy::NpzReader npz(path);
  return {npz.contains("mask_camera"), npz.contains("mask_lidar")};
}

OpenOccLabels read_openocc_labels(const std::string& path, const std::array<int64_t, 3>& grid_shape) {
  require_file(path);
  const npy::NpzReader npz(path);
  OpenOccLabels labels;
  labels.semantics = read_label_grid(npz, "semantics", grid_shape);
  for (size_t i = 0; i < labels.semantics.size(); ++i) {
    const uint8_t id = labels.semantics[i];
    if (id == kIgnored) continue;
    if (id >= openocc_class_names().size()) {
      throw FormatError(str(occ::quoted(path), " entry 'semantics' has class ", int(id), " at voxel ", i,
                            "; OpenOcc classes are 0 to ", openocc_class_names().size() - 1));
    }
    labels.semantics[i] = occ3d_class_of_openocc(id);
  }
  labels.flow = read_flow(npz, grid_shape);
  if (npz.contains("mask_camera")) labels.mask_camera = read_label_grid(npz, "mask_camera", grid_shape);
  if (npz.contains("mask_lidar")) labels.mask_lidar = read_label_grid(npz, "mask_lidar", grid_shape);
  return labels;
}

}  // namespace occ::datasets
