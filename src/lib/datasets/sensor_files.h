#pragma once
// Sensor files of the real datasets, read into what a frames file stores:
// nuScenes / Lyft LiDAR scans (.pcd.bin: float32 x, y, z, intensity, ring)
// and camera images resized for embedding.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace occ::datasets {

// Points of a .pcd.bin scan moved into the ego frame by `ego_from_lidar`
// (row-major 4x4), as x, y, z, intensity per point. Throws IoError for an
// unreadable file and FormatError naming it when it is not whole points.
std::vector<float> read_pcd_points(const std::string& path, const std::array<double, 16>& ego_from_lidar);

// Points of a KITTI Velodyne scan (.bin: float32 x, y, z, reflectance per
// point, in the Velodyne frame, which KITTI frames files use as the ego
// frame), as x, y, z, intensity per point. Throws IoError for an unreadable
// file and FormatError naming it when it is not whole points.
std::vector<float> read_kitti_scan(const std::string& path);

// RGB bytes (height x width x 3) of an image resized with area
// interpolation; `scale_x` and `scale_y` say how pixel coordinates scale
// (new size / file size). Throws FormatError naming an undecodable file.
std::vector<uint8_t> read_resized_rgb(const std::string& path, int height, int width, double& scale_x,
                                      double& scale_y);

}  // namespace occ::datasets
