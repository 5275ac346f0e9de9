#pragma once
// Class colours: the palette Occ3D / nuScenes-occupancy figures use, and
// SemanticKITTI's from semantic-kitti.yaml, chosen by class name so the same
// code colours either label set.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace occ::viz {

// RGB colour per class id; unknown names get distinct hashed colours.
std::vector<cv::Vec3b> class_palette(const std::vector<std::string>& class_names);

// Light grey drawn where nothing is occupied.
inline const cv::Vec3b kBackground(245, 245, 245);

}  // namespace occ::viz
