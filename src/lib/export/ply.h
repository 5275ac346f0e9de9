#pragma once
// pred -> PLY point clouds (Greg Turk's format as MeshLab, Open3D and
// CloudCompare read it): binary_little_endian 1.0, one vertex per occupied
// voxel (class != free) at its centre in the ego frame, float x y z, uchar
// red green blue in the class palette (viz/palette.h), uchar label (the
// class id).
#include <cstdint>
#include <string>
#include <vector>

#include "export/pred_source.h"
#include "viz/palette.h"

namespace occ::exporting {

using viz::Rgb;

// The bytes of one PLY file for a [X, Y, Z] class grid.
std::string ply_bytes(const geom::VoxelGrid& geometry, const std::vector<uint8_t>& classes, int free_class,
                      const std::vector<Rgb>& palette, const std::string& comment);

// `output` ending in ".ply": one file for prediction `frame` (-1: the only
// one); otherwise a folder of <token>.ply, one per frame.
int64_t export_ply(const PredSource& pred, const std::string& output, int64_t frame);

}  // namespace occ::exporting
