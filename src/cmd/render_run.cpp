// occ render's run (the data module).
#include <algorithm>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>

#include "core/error.h"
#include "core/strings.h"
#include "labels/cluster_masks.h"
#include "render.h"

namespace occ::cmd {
namespace {

// "12:40" -> (12, 40); throws UsageError.
std::pair<int64_t, int64_t> parse_range(const std::string& text) {
  const size_t colon = text.find(':');
  try {
    size_t used_a = 0, used_b = 0;
    const int64_t a = std::stoll(text.substr(0, colon), &used_a);
    const int64_t b = std::stoll(text.substr(colon + 1), &used_b);
    if (colon == std::string::npos || used_a != colon || used_b != text.size() - colon - 1)
      throw std::exception();
    return {a, b};
  } catch (const std::exception&) {
    throw UsageError(str("--frames must be FIRST:LAST, got ", quoted(text)));
  }
}

}  // namespace

void run_render(RenderCli& cli) {
  auto& options = cli.options;
  if (!cli.frames.empty()) {
    std::tie(options.first_frame, options.last_frame) = parse_range(cli.frames);
  } else {
    options.first_frame = options.last_frame = cli.frame;
  }
  options.voxel_size = labels::parse_size(cli.voxel_size, "--voxel-size");
  const viz::RenderSummary summary = viz::render(options);
  std::printf("wrote %s: %lld frame%s of %dx%d in %.2f s (%.2f frames/s)\n", options.output.c_str(),
              static_cast<long long>(summary.frames), summary.frames == 1 ? "" : "s", summary.size.width,
              summary.size.height, summary.seconds, summary.frames / std::max(1e-9, summary.seconds));
}

}  // namespace occ::cmd
