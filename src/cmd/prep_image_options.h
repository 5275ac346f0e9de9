#pragma once
// --embed-images and --image-size (and --no-lidar), shared by the readers of real datasets
// (occ prep nuscenes, kitti-mot, semantickitti) so they read the same.
#include <string>

#include <CLI/CLI.hpp>

namespace occ::cmd {

void add_image_options(CLI::App& app, bool& embed_images, std::string& image_size);

// --no-lidar of the KITTI readers (kitti-mot, semantickitti): Velodyne
// points are kept whenever the dataset has them unless it is given.
void add_velodyne_option(CLI::App& app, bool& lidar);

}  // namespace occ::cmd
