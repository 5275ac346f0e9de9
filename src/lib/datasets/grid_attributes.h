#pragma once
// The grid a frames file labels (root attributes grid_shape, grid_origin_m,
// voxel_size_m, class_names and free_class of data/schemas/frames.json).
#include "geom/voxel_grid.h"
#include "h5/file.h"

namespace occ {

// Throws FormatError naming the file unless the three lists have 3 values.
geom::VoxelGrid read_grid_attributes(const h5::File& file);

}  // namespace occ
