#include "datasets/occ3d_labels.h"

#include <filesystem>

#include "core/error.h"
#include "core/strings.h"
#include "datasets/npy.h"
#include "h5/dataset.h"

namespace occ::datasets {

std::vector<uint8_t> read_label_grid(const npy::NpzReader& npz, const std::string& name,
                                     const std::array<int64_t, 3>& grid_shape) {
  const std::string where = str(occ::quoted(npz.path()), " entry ", occ::quoted(name));
  if (!npz.contains(name))
    throw FormatError(str(occ::quoted(npz.path()), " has no entry ", occ::quoted(name)));
  const npy::Array array = npz.read(name);
  const std::vector<int64_t> expected(grid_shape.begin(), grid_shape.end());
  if (array.shape != expected) {
    throw FormatError(str(where, " has shape ", h5::shape_text(array.shape), " where the grid is ",
                          h5::shape_text(expected)));
  }
  // Occ3D writes uint8 (masks sometimes bool); anything wider is another file.
  if (!((array.kind == 'u' || array.kind == 'b') && array.item_size == 1)) {
    throw FormatError(str(where, " has dtype ", occ::quoted(array.descr), " where Occ3D labels are uint8"));
  }
  return array.as_uint8(where);
}

std::string occ3d_labels_path(const std::string& occ3d_root, const std::string& scene_name,
                              const std::string& sample_token) {
  return str(occ3d_root, "/", scene_name, "/", sample_token, "/labels.npz");
}

Occ3dLabels read_occ3d_labels(const std::string& path, const std::array<int64_t, 3>& grid_shape,
                              int class_count) {
  if (!std::filesystem::is_regular_file(path)) {
    throw IoError(str("cannot open Occ3D labels ", occ::quoted(path), ": no such file"));
  }
  const npy::NpzReader npz(path);
  Occ3dLabels labels;
  labels.semantics = read_label_grid(npz, "semantics", grid_shape);
  labels.mask_lidar = read_label_grid(npz, "mask_lidar", grid_shape);
  labels.mask_camera = read_label_grid(npz, "mask_camera", grid_shape);
  for (size_t i = 0; i < labels.semantics.size(); ++i) {
    if (labels.semantics[i] >= class_count) {
      throw FormatError(str(occ::quoted(path), " entry 'semantics' has class ", int(labels.semantics[i]),
                            " at voxel ", i, "; the classes are 0 to ", class_count - 1));
    }
  }
  return labels;
}

}  // namespace occ::datasets
