#pragma once
// Flow-label files (schema occ.flow) as occ flow-labels writes them, with
// values chosen by the test, for the loader and the model-contract tests.
#include <functional>
#include <string>
#include <vector>

#include "h5/artifact.h"
#include "h5/attributes.h"
#include "h5/dataset.h"
#include "h5/half.h"

namespace occ::test {

// Per (direction 0 = next / 1 = prev, frame, camera, y, x): flow (dx, dy),
// validity, dynamic and movable flags.
struct FlowLabelValues {
  std::function<std::array<float, 2>(int direction, int frame, int camera, int y, int x)> flow =
      [](int direction, int, int, int, int) {
        return std::array<float, 2>{direction == 0 ? 1.5f : -1.5f, 0.5f};
      };
  std::function<bool(int direction, int frame, int camera, int y, int x)> valid = [](int, int, int, int,
                                                                                     int) { return true; };
};

inline void write_test_flow_labels(const std::string& path, const std::string& made_from, int frames,
                                   int cameras, int height, int width, const FlowLabelValues& values = {}) {
  h5::OutputArtifact out(path, "flow", {{"test", true}});
  out.set_frames_uuid(h5::read_string_attribute(h5::File::open(made_from), "/", "uuid"));
  h5::write_attribute(out.file(), "/", "method", std::string("test"));
  h5::write_attribute(out.file(), "/", "parameters", std::string("{}"));
  h5::write_attribute(out.file(), "/", "image_size", std::vector<int64_t>{height, width});
  h5::write_attribute(out.file(), "/", "pairs", std::vector<std::string>{"next", "prev"});
  const char* groups[2] = {"/next", "/prev"};
  std::vector<uint8_t> movable;
  for (int direction = 0; direction < 2; ++direction) {
    std::vector<Half> flow, static_flow;
    std::vector<uint8_t> valid, dynamic;
    for (int frame = 0; frame < frames; ++frame)
      for (int camera = 0; camera < cameras; ++camera)
        for (int y = 0; y < height; ++y)
          for (int x = 0; x < width; ++x) {
            const auto f = values.flow(direction, frame, camera, y, x);
            flow.push_back(float_to_half(f[0]));
            flow.push_back(float_to_half(f[1]));
            static_flow.push_back(float_to_half(0.0f));
            static_flow.push_back(float_to_half(0.0f));
            const bool ok = values.valid(direction, frame, camera, y, x);
            valid.push_back(ok ? 1 : 0);
            dynamic.push_back(ok && x < width / 2 ? 1 : 0);
            if (direction == 0) movable.push_back(x < width / 2 ? 1 : 0);
          }
    const std::string group = groups[direction];
    h5::write(out.file(), group + "/flow", flow, {frames, cameras, height, width, 2});
    h5::write(out.file(), group + "/valid", valid, {frames, cameras, height, width});
    h5::write(out.file(), group + "/static_flow", static_flow, {frames, cameras, height, width, 2});
    h5::write(out.file(), group + "/dynamic", dynamic, {frames, cameras, height, width});
  }
  h5::write(out.file(), "/movable", movable, {frames, cameras, height, width});
  out.commit();
}

}  // namespace occ::test
