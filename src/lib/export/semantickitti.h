#pragma once
// pred -> SemanticKITTI semantic scene completion files, as the official
// semantic-kitti-api (evaluate_completion.py, auxiliary/io_utils.py) reads them:
//  - <frame>.label: uint16 per voxel, little endian, the original label ids
//    (learning_map_inv of semantic-kitti.yaml applied to the 20 learning
//    classes), 256*256*32 values in C order of [x, y, z];
//  - <frame>.bin: occupancy (label != empty), one bit per voxel, packed 8 to a
//    byte most significant bit first (numpy.packbits);
//  - <frame>.invalid: the same packing, 1 where the voxel is not evaluated;
//    written only when the frames file has /occupancy/mask_lidar (invalid =
//    not observed by LiDAR), since a prediction itself has no invalid voxels.
// Layout "official": sequences/<seq>/predictions/<frame>.label (what the
// benchmark's submission zip holds) and sequences/<seq>/voxels/<frame>.bin
// (and .invalid), for tokens "<seq>/<frame>" as occ prep semantickitti
// writes them; layout "flat": <token>.label/.bin/.invalid in one folder,
// '/' in tokens replaced by '_'.
#include <cstdint>
#include <string>
#include <vector>

namespace occ::exporting {

class PredSource;

// numpy.packbits order: bit 7 of byte 0 is value 0. Size rounds up to bytes.
std::vector<uint8_t> pack_bits(const std::vector<uint8_t>& values);
std::vector<uint8_t> unpack_bits(const std::vector<uint8_t>& packed, size_t count);

// Original SemanticKITTI label id of each learning class 0..19.
const std::vector<uint16_t>& semantickitti_learning_map_inv();

// Reads a .label voxel file back (count uint16 values); throws naming it.
std::vector<uint16_t> read_label_file(const std::string& path, size_t count);
// Reads a bit-packed .bin/.invalid/.occluded file back into 0/1 values.
std::vector<uint8_t> read_packed_file(const std::string& path, size_t count);

int64_t export_semantickitti(const PredSource& pred, const std::string& output, const std::string& layout);

}  // namespace occ::exporting
