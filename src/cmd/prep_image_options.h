#pragma once
// --embed-images and --image-size, shared by the readers of real datasets
// (occ prep nuscenes, kitti-mot, semantickitti) so they read the same.
#include <string>

#include <CLI/CLI.hpp>

namespace occ::cmd {

void add_image_options(CLI::App& app, bool& embed_images, std::string& image_size);

}  // namespace occ::cmd
