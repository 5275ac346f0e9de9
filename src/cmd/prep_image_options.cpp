#include "prep_image_options.h"

namespace occ::cmd {

void add_image_options(CLI::App& app, bool& embed_images, std::string& image_size) {
  app.add_flag("--embed-images", embed_images,
               "store resized RGB images in the file (intrinsics scaled to match) instead of paths");
  app.add_option("--image-size", image_size, "height x width of embedded images")->capture_default_str();
}

void add_velodyne_option(CLI::App& app, bool& lidar) {
  app.add_flag_callback(
      "--no-lidar", [&lidar] { lidar = false; },
      "leave out the Velodyne points (kept by default when every sequence has a velodyne folder)");
}

}  // namespace occ::cmd
