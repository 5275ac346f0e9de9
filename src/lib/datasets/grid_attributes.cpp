#include "datasets/grid_attributes.h"

#include "core/error.h"
#include "core/strings.h"
#include "h5/attributes.h"

namespace occ {

geom::VoxelGrid read_grid_attributes(const h5::File& file) {
  const auto shape = h5::read_int_list_attribute(file, "/", "grid_shape");
  const auto origin = h5::read_float_list_attribute(file, "/", "grid_origin_m");
  const auto voxel = h5::read_float_list_attribute(file, "/", "voxel_size_m");
  if (shape.size() != 3 || origin.size() != 3 || voxel.size() != 3) {
    throw FormatError(
        str(occ::quoted(file.path()), ": grid_shape, grid_origin_m and voxel_size_m need 3 values"));
  }
  geom::VoxelGrid grid;
  for (size_t axis = 0; axis < 3; ++axis) {
    grid.shape[axis] = shape[axis];
    grid.origin_m[axis] = origin[axis];
    grid.voxel_size_m[axis] = voxel[axis];
  }
  grid.num_classes = static_cast<int64_t>(h5::read_string_list_attribute(file, "/", "class_names").size());
  grid.free_class = h5::read_int_attribute(file, "/", "free_class");
  return grid;
}

}  // namespace occ
