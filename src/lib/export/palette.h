#pragma once
// Class colours for occupancy: the palette the Occ3D / SurroundOcc
// visualisation scripts use for the 18 Occ3D-nuScenes classes (the
// "standard" occupancy colours in papers), and SemanticKITTI's color_map
// (semantic-kitti.yaml, converted from BGR) for its 20 learning classes.
// TODO(render): occ render draws with the same colours; share this table.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace occ::exporting {

using Rgb = std::array<uint8_t, 3>;

// One colour per class name: the Occ3D palette when every name is an Occ3D
// class, else SemanticKITTI's when every name is one of its learning
// classes, else whichever table knows the name, and a grey for the rest.
std::vector<Rgb> class_palette(const std::vector<std::string>& class_names);

}  // namespace occ::exporting
