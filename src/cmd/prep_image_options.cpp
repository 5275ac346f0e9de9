#include "prep_image_options.h"

namespace occ::cmd {

void add_image_options(CLI::App& app, bool& embed_images, std::string& image_size) {
  app.add_flag("--embed-images", embed_images,
               "store resized RGB images in the file (intrinsics scaled to match) instead of paths");
  app.add_option("--image-size", image_size, "height x width of embedded images")->capture_default_str();
}

}  // namespace occ::cmd
