#pragma once
// Class colours for occupancy, one table for occ render and occ export: the
// palette the Occ3D / SurroundOcc visualisation scripts use for the 18
// Occ3D-nuScenes classes (the "standard" occupancy colours in papers), and
// SemanticKITTI's color_map (semantic-kitti.yaml, converted from BGR) for
// its 20 learning classes.
#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace occ::viz {

using Rgb = std::array<uint8_t, 3>;

// One colour per class name: the Occ3D palette when every name is an Occ3D
// class, else SemanticKITTI's when every name is one of its learning
// classes, else whichever table knows the name; names neither knows get
// distinct colours hashed from the name.
std::vector<Rgb> class_colours(const std::vector<std::string>& class_names);

// The same as cv::Vec3b (R, G, B), for the views.
std::vector<cv::Vec3b> class_palette(const std::vector<std::string>& class_names);

// Light grey drawn where nothing is occupied.
inline const cv::Vec3b kBackground(245, 245, 245);

}  // namespace occ::viz
